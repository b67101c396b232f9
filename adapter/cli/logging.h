// Sets up the process log on stderr in the formats Prometheus exporters use:
// logfmt (the default) or JSON, one record per line.
//
// Usage:
//   std::string error;
//   if (!SetUpLogging("info", "logfmt", &error)) { std::cerr << error; return 2; }
//   spdlog::info("listening on {}", address);
//   // ts=2026-11-25T10:00:00.000Z level=info msg="listening on :9469"
#pragma once

#include <string>

namespace metrics_adapter {

// `level`: debug, info, warn, error. `format`: logfmt or json. Returns false
// with *error set for an unknown value.
bool SetUpLogging(const std::string& level, const std::string& format, std::string* error);

}  // namespace metrics_adapter
