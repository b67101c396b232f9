// Sets up the process log on stderr in the formats Prometheus exporters use:
// logfmt (the default) or JSON, one record per line.
//
// Usage:
//   std::string error;
//   if (!SetUpLogging("info", "logfmt", &error)) { std::cerr << error; return 2; }
//   spdlog::info("listening on {}", address);
//   // ts=2026-11-25T10:00:00.000Z level=info msg="listening on :9469"
#pragma once

#include <spdlog/common.h>

#include <string>
#include <string_view>

namespace metrics_adapter {

// `level`: debug, info, warn (or warning), error. `format`: logfmt or json.
// Returns false with *error set for an unknown value.
bool SetUpLogging(const std::string& level, const std::string& format, std::string* error);

// The name the log writes for `level`, one of the names --log.level takes:
// debug, info, warn, error.
std::string_view LogLevelName(spdlog::level::level_enum level);

}  // namespace metrics_adapter
