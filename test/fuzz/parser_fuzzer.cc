// A libFuzzer target for one parser, chosen when it is built
// (-DFUZZ_PARSER="csv"): every input is one unit for that parser, and its
// lines are the lines of a stream for another instance (Parser::ParseStreamLine),
// which keeps its state from input to input. Each
// record's bytes are read, so AddressSanitizer sees any view that outlives
// its input, and every parse-error reason must be snake_case (it becomes a
// metric label). Built with clang and -fsanitize=fuzzer by
// test/fuzz/run.sh; without libFuzzer, replay_main.cc turns the same target
// into a program that replays a corpus, which the test suite runs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "parsers/registry.h"

namespace {

struct TouchingSink : metrics_adapter::RecordSink {
  std::uint64_t checksum = 0;
  void Touch(std::string_view text) {
    for (char c : text) checksum = checksum * 31 + static_cast<unsigned char>(c);
  }
  void OnRecord(const metrics_adapter::Record& record) override {
    Touch(record.text);
    for (const metrics_adapter::RecordLabel& label : record.labels) {
      Touch(label.name);
      Touch(label.value);
    }
    if (std::optional<double> number = record.Number())
      checksum += static_cast<std::uint64_t>(*number != 0);
  }
  void OnParseError(std::string_view reason) override {
    if (reason.empty()) std::abort();
    for (char c : reason) {
      if (!(c >= 'a' && c <= 'z') && c != '_') std::abort();
    }
  }
};

std::unique_ptr<metrics_adapter::Parser> MakeParser() {
  const metrics_adapter::ParserInfo* info = metrics_adapter::FindParser(FUZZ_PARSER);
  if (info == nullptr) std::abort();
  std::string error;
  std::unique_ptr<metrics_adapter::Parser> made = info->create(info->Defaults(), &error);
  if (!made) std::abort();
  return made;
}

metrics_adapter::Parser& TheParser() {
  static std::unique_ptr<metrics_adapter::Parser> parser = MakeParser();
  return *parser;
}

metrics_adapter::Parser& TheStreamedParser() {
  static std::unique_ptr<metrics_adapter::Parser> parser = MakeParser();
  return *parser;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  TouchingSink sink;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  TheParser().Parse(input, sink);
  for (std::size_t pos = 0; pos <= input.size();) {
    const std::size_t end = std::min(input.find('\n', pos), input.size());
    TheStreamedParser().ParseStreamLine(input.substr(pos, end - pos), sink);
    pos = end + 1;
  }
  return 0;
}
