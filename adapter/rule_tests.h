// Runs the tests embedded in rule files (`metrics-adapter test FILE...`):
// each test's input lines go through the file's rules into a fresh store,
// and every series the test's `expect` names must have exactly that value.
// Series the test does not name are not checked, so tests stay short.
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
