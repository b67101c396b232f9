// `metrics-adapter rules from-log-format`: the rule file for an nginx
// log_format or an Apache LogFormat (rules/log_format/), printed.
#pragma once

#include <ostream>

#include "adapter/cli/flags.h"

namespace metrics_adapter {

// Writes the rule file to `out` and returns kExitOk, or writes the error,
// with where in the format it is, to `err` and returns kExitFailure.
// ParseFlags made sure exactly one of --nginx and --apache is set.
int RulesFromLogFormat(const Flags& flags, std::ostream& out, std::ostream& err);

}  // namespace metrics_adapter
