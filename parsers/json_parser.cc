#include "parsers/json_parser.h"

#include <simdjson.h>

#include <charconv>
#include <utility>

#include "parsers/registry.h"

namespace metrics_adapter {
namespace {

// Room for a typical status page before the first body asks for more.
constexpr std::size_t kInitialCapacity = std::size_t{64} * 1024;
// simdjson's buffers take about 8 bytes per byte of body. Kept for bodies up
// to this size, so a scrape allocates nothing; after a larger one they are
// given back, so a rare 10 MiB page does not pin ~80 MiB until the next.
constexpr std::size_t kKeptCapacity = std::size_t{1024} * 1024;

}  // namespace

struct JsonParser::Impl {
  explicit Impl(Options options);
  // Emits the records of `element`, whose path is path (below `depth` open
  // containers).
  void Flatten(simdjson::dom::element element, std::size_t depth, RecordSink& sink);
  // Sets path to the child `name` of the container whose path is
  // path[0, parent_size) at `depth`.
  void SetChildPath(std::size_t parent_size, std::size_t depth, std::string_view name);

  Options options;
  simdjson::dom::parser parser;
  // The body copied with simdjson's padding; reused so a scrape does not
  // allocate once it has seen its largest body.
  std::string padded;
  std::string path;
};

std::unique_ptr<Parser> JsonParser::Create(const ParserOptions& options, std::string* error) {
  Options parsed;
  parsed.path_separator = options.Get("path_separator");
  if (parsed.path_separator.empty()) {
    *error = "json: path_separator must not be empty";
    return nullptr;
  }
  return std::make_unique<JsonParser>(std::move(parsed));
}

JsonParser::JsonParser(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

JsonParser::~JsonParser() = default;

JsonParser::Impl::Impl(Options options_in) : options(std::move(options_in)) {
  // The capacity grows with the largest body seen; the depth bound stays.
  // simdjson counts the root level too: a bound of kMaxDepth + 1 admits
  // exactly kMaxDepth nested containers.
  if (parser.allocate(kInitialCapacity, kMaxDepth + 1) != simdjson::SUCCESS) {
    // Out of memory: parse() tries again and reports invalid_json if it fails.
  }
}

void JsonParser::Parse(std::string_view unit, RecordSink& sink) {
  Impl& impl = *impl_;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input.
  impl.padded.assign(unit);
  impl.padded.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::dom::element root;
  const simdjson::error_code error =
      impl.parser.parse(impl.padded.data(), unit.size(), /*realloc_if_needed=*/false).get(root);
  if (error != simdjson::SUCCESS) {
    sink.OnParseError(error == simdjson::DEPTH_ERROR ? "too_deep" : "invalid_json");
  } else {
    impl.path.clear();
    impl.Flatten(root, 0, sink);
  }
  if (unit.size() > kKeptCapacity) {
    impl.padded = std::string();
    if (impl.parser.allocate(kInitialCapacity, kMaxDepth + 1) != simdjson::SUCCESS) {
      // Out of memory while shrinking: the next parse allocates anew.
    }
  }
}

void JsonParser::Impl::SetChildPath(std::size_t parent_size, std::size_t depth,
                                    std::string_view name) {
  path.resize(parent_size);
  // The root container's children have no separator before their name.
  if (depth > 0) path += options.path_separator;
  path += name;
}

void JsonParser::Impl::Flatten(simdjson::dom::element element, std::size_t depth,
                               RecordSink& sink) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::OBJECT: {
      const std::size_t size = path.size();
      // A named copy: value_unsafe() refers into the temporary result.
      const simdjson::dom::object object = element.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair member : object) {
        SetChildPath(size, depth, member.key);
        Flatten(member.value, depth + 1, sink);
      }
      path.resize(size);
      return;
    }
    case element_type::ARRAY: {
      const std::size_t size = path.size();
      std::size_t index = 0;
      const simdjson::dom::array array = element.get_array().value_unsafe();
      for (simdjson::dom::element item : array) {
        char digits[24];
        const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, index++);
        SetChildPath(size, depth, std::string_view(digits, static_cast<std::size_t>(end - digits)));
        Flatten(item, depth + 1, sink);
      }
      path.resize(size);
      return;
    }
    case element_type::INT64:
      sink.OnRecord(Record{path, static_cast<double>(element.get_int64().value_unsafe()), {}});
      return;
    case element_type::UINT64:
      sink.OnRecord(Record{path, static_cast<double>(element.get_uint64().value_unsafe()), {}});
      return;
    case element_type::DOUBLE:
      sink.OnRecord(Record{path, element.get_double().value_unsafe(), {}});
      return;
    case element_type::BOOL:
      sink.OnRecord(Record{path, element.get_bool().value_unsafe() ? 1.0 : 0.0, {}});
      return;
    case element_type::STRING: {
      const RecordLabel label{"value", element.get_string().value_unsafe()};
      sink.OnRecord(Record{path, std::nullopt, std::span<const RecordLabel>(&label, 1)});
      return;
    }
    case element_type::NULL_VALUE:
      return;
  }
}

}  // namespace metrics_adapter
