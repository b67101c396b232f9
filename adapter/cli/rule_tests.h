// Runs the tests embedded in rule files (`metrics-adapter test FILE...`):
// each test's input goes through the file's parser (an InputDriver, framing
// it as a pulled source's body: see BodyFraming) and rules into a fresh store,
// and every series the test's `expect` names must have exactly that value.
// For each metric name `expect` mentions, the output must hold no other
// series of that name (histogram `_bucket` lines excepted: they are checked
// only where listed). Names the test does not mention are not checked.
//
// Usage:
//   int failures = RunRuleTests({"rules/library/nginx/combined.yaml"}, std::cout);
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace metrics_adapter {

// Returns the number of failed tests plus files that failed to load; writes
// one line per test and a diff per failure to `out`.
int RunRuleTests(const std::vector<std::string>& files, std::ostream& out);

}  // namespace metrics_adapter
