#include "adapter/cli/rules_command.h"

#include <optional>
#include <string>

#include "rules/log_format/apache_log_format.h"
#include "rules/log_format/nginx_log_format.h"
#include "rules/log_format/rule_file_writer.h"

namespace metrics_adapter {

int RulesFromLogFormat(const Flags& flags, std::ostream& out, std::ostream& err) {
  const bool nginx = !flags.nginx_format.empty();
  std::string error;
  std::optional<LogFormat> format = nginx ? ParseNginxLogFormat(flags.nginx_format, &error)
                                          : ParseApacheLogFormat(flags.apache_format, &error);
  std::optional<std::string> rule_file;
  if (format) rule_file = WriteRuleFile(*format, &error);
  if (!rule_file) {
    err << "metrics-adapter: " << (nginx ? "--nginx" : "--apache") << ": " << error << "\n";
    return kExitFailure;
  }
  out << *rule_file;
  return kExitOk;
}

}  // namespace metrics_adapter
