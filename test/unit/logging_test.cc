// The log's level names are the ones --log.level takes: every level the
// program can log at is written under a name the flag accepts, and warn is
// "warn" (spdlog's own name for it is "warning").
#include "adapter/cli/logging.h"

#include <doctest/doctest.h>

#include <string>

namespace metrics_adapter {
namespace {

TEST_CASE("LogLevelName writes the names --log.level takes") {
  CHECK(LogLevelName(spdlog::level::debug) == "debug");
  CHECK(LogLevelName(spdlog::level::info) == "info");
  CHECK(LogLevelName(spdlog::level::warn) == "warn");
  CHECK(LogLevelName(spdlog::level::err) == "error");
  CHECK(LogLevelName(spdlog::level::critical) == "error");
  CHECK(LogLevelName(spdlog::level::trace) == "debug");
}

TEST_CASE("SetUpLogging takes every name the log writes, and warning for warn") {
  std::string error;
  for (const char* level : {"debug", "info", "warn", "warning", "error"}) {
    CAPTURE(level);
    CHECK(SetUpLogging(level, "logfmt", &error));
  }
  CHECK(SetUpLogging("info", "json", &error));
  CHECK_FALSE(SetUpLogging("verbose", "logfmt", &error));
  CHECK(error == "--log.level must be one of debug, info, warn, error (got \"verbose\")");
  CHECK_FALSE(SetUpLogging("info", "text", &error));
  CHECK(error == "--log.format must be logfmt or json (got \"text\")");
  CHECK(SetUpLogging("info", "logfmt", &error));  // leave the default behind
}

}  // namespace
}  // namespace metrics_adapter
