#include "parsers/json_parser.h"

#include <charconv>
#include <exception>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "parsers/registry.h"

namespace metrics_adapter {
namespace {

using nlohmann::json;

// Receives nlohmann's SAX events and turns leaves into records. Returning
// false from an event stops the parse.
class FlattenHandler {
 public:
  FlattenHandler(std::string_view separator, std::string& path,
                 std::vector<JsonParser::Frame>& frames, RecordSink& sink)
      : separator_(separator), path_(path), frames_(frames), sink_(sink) {}

  bool null() {
    BeginValue();
    return true;
  }
  bool boolean(bool value) { return Number(value ? 1 : 0); }
  bool number_integer(json::number_integer_t value) { return Number(static_cast<double>(value)); }
  bool number_unsigned(json::number_unsigned_t value) { return Number(static_cast<double>(value)); }
  bool number_float(json::number_float_t value, const json::string_t&) { return Number(value); }
  bool string(json::string_t& value) {
    BeginValue();
    const RecordLabel label{"value", value};
    sink_.OnRecord(Record{path_, std::nullopt, std::span<const RecordLabel>(&label, 1)});
    return true;
  }
  bool binary(json::binary_t&) { return true; }  // not produced by the JSON reader

  bool start_object(std::size_t) { return Open(false); }
  bool start_array(std::size_t) { return Open(true); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(json::string_t& key) {
    path_.resize(frames_.back().path_size);
    if (frames_.size() > 1) path_ += separator_;
    path_ += key;
    return true;
  }

  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    sink_.OnParseError("invalid_json");
    return false;
  }

 private:
  // Sets the path of the value about to start when it is an array element
  // (an object member's path was set by key()).
  void BeginValue() {
    if (frames_.empty() || !frames_.back().is_array) return;
    JsonParser::Frame& frame = frames_.back();
    path_.resize(frame.path_size);
    if (frames_.size() > 1) path_ += separator_;
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, frame.next_index++);
    path_.append(digits, end);
  }

  bool Number(double value) {
    BeginValue();
    sink_.OnRecord(Record{path_, value, {}});
    return true;
  }

  bool Open(bool is_array) {
    BeginValue();
    if (frames_.size() >= JsonParser::kMaxDepth) {
      sink_.OnParseError("too_deep");
      return false;
    }
    // The root container's children have no separator before their name.
    frames_.push_back({path_.size(), is_array, 0});
    return true;
  }

  bool Close() {
    path_.resize(frames_.back().path_size);
    frames_.pop_back();
    return true;
  }

  std::string_view separator_;
  std::string& path_;
  std::vector<JsonParser::Frame>& frames_;
  RecordSink& sink_;
};

}  // namespace

std::unique_ptr<Parser> JsonParser::Create(const ParserOptions& options, std::string* error) {
  Options parsed;
  parsed.path_separator = options.Get("path_separator");
  if (parsed.path_separator.empty()) {
    *error = "json: path_separator must not be empty";
    return nullptr;
  }
  return std::make_unique<JsonParser>(std::move(parsed));
}

JsonParser::JsonParser(Options options) : options_(std::move(options)) {
  frames_.reserve(kMaxDepth);
}

void JsonParser::Parse(std::string_view unit, RecordSink& sink) {
  path_.clear();
  frames_.clear();
  FlattenHandler handler(options_.path_separator, path_, frames_, sink);
  try {
    // Iterators over the body: nlohmann reads it in place, without a copy.
    json::sax_parse(unit.data(), unit.data() + unit.size(), &handler);
  } catch (const std::exception&) {
    // nlohmann reports syntax errors through parse_error; this catches
    // whatever else its reader may throw (allocation failures included), as
    // Parse must not throw.
    sink.OnParseError("invalid_json");
  }
}

}  // namespace metrics_adapter
