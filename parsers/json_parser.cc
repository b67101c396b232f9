#include "parsers/json_parser.h"

#include <simdjson.h>

#include <charconv>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "adapter/base/utf8.h"
#include "parsers/registry.h"

namespace metrics_adapter {
namespace {

// Room for a typical status page before the first body asks for more.
constexpr std::size_t kInitialCapacity = std::size_t{64} * 1024;
// simdjson's buffers take about 8 bytes per byte of body. Kept for bodies up
// to this size, so a scrape allocates nothing; after a larger one they are
// given back, so a rare 10 MiB page does not pin ~80 MiB until the next.
constexpr std::size_t kKeptCapacity = std::size_t{1024} * 1024;

// A number or true/false leaf's value (true/false as 1/0).
double LeafNumber(simdjson::dom::element leaf) {
  using simdjson::dom::element_type;
  switch (leaf.type()) {
    case element_type::INT64:
      return static_cast<double>(leaf.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(leaf.get_uint64().value_unsafe());
    case element_type::BOOL:
      return leaf.get_bool().value_unsafe() ? 1.0 : 0.0;
    default:
      return leaf.get_double().value_unsafe();
  }
}

// The record of a scalar leaf at `path`: a number (true/false: 1/0) is its
// value; a string has no value and is the label `value`.
void EmitLeaf(std::string_view path, simdjson::dom::element leaf, RecordSink& sink) {
  if (leaf.type() == simdjson::dom::element_type::STRING) {
    const RecordLabel label{"value", leaf.get_string().value_unsafe()};
    sink.OnRecord(Record{path, std::nullopt, std::span<const RecordLabel>(&label, 1)});
  } else {
    sink.OnRecord(Record{path, LeafNumber(leaf), {}});
  }
}

}  // namespace

struct JsonParser::Impl {
  explicit Impl(Options options);
  // Parses `unit` into root; the error for OnParseError, or "" on success.
  // With repair_utf8, a unit that is JSON but for invalid UTF-8 is parsed
  // again with each invalid sequence replaced by U+FFFD.
  std::string_view Load(std::string_view unit, simdjson::dom::element& root,
                        bool repair_utf8 = false);
  // Gives back the buffers a unit larger than kKeptCapacity made grow.
  void ShrinkAfter(std::size_t unit_size);
  // Calls on_leaf(element) for each scalar leaf below `element` (below
  // `depth` open containers), with `path` set to the leaf's path.
  template <typename OnLeaf>
  void Walk(simdjson::dom::element element, std::size_t depth, OnLeaf& on_leaf);
  // Sets path to the child `name` of the container whose path is
  // path[0, parent_size) at `depth`.
  void SetChildPath(std::size_t parent_size, std::size_t depth, std::string_view name);
  // Streams: notes the leaf at `path` in leaves and its path and text in arena.
  void Collect(simdjson::dom::element leaf);
  // Streams: emits one record per collected leaf, each carrying every leaf
  // as a label.
  void EmitCollected(RecordSink& sink);

  // A scalar leaf of a streamed line: its path and text are in `arena`
  // (offsets: the arena may move while it grows), or, for a string, in
  // simdjson's document.
  struct Leaf {
    std::size_t path_offset = 0, path_size = 0;
    std::size_t text_offset = 0, text_size = 0;
    std::string_view string;       // a string leaf's value; else empty
    std::optional<double> number;  // a number's value, 1/0 for true/false
    bool is_string = false;
  };

  Options options;
  simdjson::dom::parser parser;
  // The body copied with simdjson's padding; reused so a scrape does not
  // allocate once it has seen its largest body.
  std::string padded;
  // Streams: a line with its invalid UTF-8 replaced (repair_utf8).
  std::string repaired;
  std::string path;
  // Streams: reused per line, so a line allocates nothing once they have
  // grown to the widest line.
  std::vector<Leaf> leaves;
  std::string arena;
  std::vector<RecordLabel> labels;  // [0]: a string leaf's `value`; then every leaf
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

std::string_view JsonParser::Impl::Load(std::string_view unit, simdjson::dom::element& root,
                                        bool repair_utf8) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input.
  padded.assign(unit);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  const simdjson::error_code error =
      parser.parse(padded.data(), unit.size(), /*realloc_if_needed=*/false).get(root);
  if (error == simdjson::SUCCESS) return {};
  if (error == simdjson::UTF8_ERROR && repair_utf8) {
    repaired.clear();
    AppendSanitizedUtf8(unit, repaired);
    return Load(repaired, root, /*repair_utf8=*/false);
  }
  return error == simdjson::DEPTH_ERROR ? "too_deep" : "invalid_json";
}

void JsonParser::Impl::ShrinkAfter(std::size_t unit_size) {
  if (unit_size <= kKeptCapacity) return;
  padded = std::string();
  if (parser.allocate(kInitialCapacity, kMaxDepth + 1) != simdjson::SUCCESS) {
    // Out of memory while shrinking: the next parse allocates anew.
  }
}

void JsonParser::Parse(std::string_view unit, RecordSink& sink) {
  Impl& impl = *impl_;
  simdjson::dom::element root;
  if (const std::string_view error = impl.Load(unit, root); !error.empty()) {
    sink.OnParseError(error);
  } else {
    impl.path.clear();
    auto emit = [&](simdjson::dom::element leaf) { EmitLeaf(impl.path, leaf, sink); };
    impl.Walk(root, 0, emit);
  }
  impl.ShrinkAfter(unit.size());
}

void JsonParser::ParseStreamLine(std::string_view line, RecordSink& sink) {
  Impl& impl = *impl_;
  simdjson::dom::element root;
  // A log line's strings hold what clients sent, and a log writer may copy
  // bytes that are not UTF-8 into them (nginx's escape=json does): such a
  // line is still one event, read with those bytes as U+FFFD.
  if (const std::string_view error = impl.Load(line, root, /*repair_utf8=*/true); !error.empty()) {
    sink.OnParseError(error);
  } else if (!root.is_object() && !root.is_array()) {
    // A bare scalar: one record with an empty path, nothing to label by.
    if (!root.is_null()) EmitLeaf({}, root, sink);
  } else {
    impl.path.clear();
    impl.leaves.clear();
    impl.arena.clear();
    auto collect = [&](simdjson::dom::element leaf) { impl.Collect(leaf); };
    impl.Walk(root, 0, collect);
    impl.EmitCollected(sink);
  }
  impl.ShrinkAfter(line.size());
}

void JsonParser::Impl::Collect(simdjson::dom::element leaf) {
  using simdjson::dom::element_type;
  Leaf collected;
  collected.path_offset = arena.size();
  collected.path_size = path.size();
  arena += path;
  collected.text_offset = arena.size();
  switch (leaf.type()) {
    case element_type::STRING:
      collected.is_string = true;
      collected.string = leaf.get_string().value_unsafe();
      break;
    case element_type::BOOL:
      collected.number = leaf.get_bool().value_unsafe() ? 1.0 : 0.0;
      arena += leaf.get_bool().value_unsafe() ? "true" : "false";
      break;
    default: {  // a number: integers exactly, others the shortest that reads back the same
      collected.number = LeafNumber(leaf);
      char digits[32];
      char* end = digits;
      if (leaf.type() == element_type::INT64) {
        end = std::to_chars(digits, digits + sizeof digits, leaf.get_int64().value_unsafe()).ptr;
      } else if (leaf.type() == element_type::UINT64) {
        end = std::to_chars(digits, digits + sizeof digits, leaf.get_uint64().value_unsafe()).ptr;
      } else {
        end = std::to_chars(digits, digits + sizeof digits, *collected.number).ptr;
      }
      arena.append(digits, static_cast<std::size_t>(end - digits));
      break;
    }
  }
  collected.text_size = arena.size() - collected.text_offset;
  leaves.push_back(collected);
}

void JsonParser::Impl::EmitCollected(RecordSink& sink) {
  labels.resize(leaves.size() + 1);
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const Leaf& leaf = leaves[i];
    labels[i + 1] = {std::string_view(arena).substr(leaf.path_offset, leaf.path_size),
                     leaf.is_string
                         ? leaf.string
                         : std::string_view(arena).substr(leaf.text_offset, leaf.text_size)};
  }
  const std::span<const RecordLabel> every_leaf(labels.data() + 1, leaves.size());
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    const Leaf& leaf = leaves[i];
    if (leaf.is_string) {
      // The string's own `value` label first, where ${label.value} finds it.
      labels[0] = {"value", leaf.string};
      sink.OnRecord(Record{labels[i + 1].name, std::nullopt, std::span<const RecordLabel>(labels)});
    } else {
      sink.OnRecord(Record{labels[i + 1].name, leaf.number, every_leaf});
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

template <typename OnLeaf>
void JsonParser::Impl::Walk(simdjson::dom::element element, std::size_t depth, OnLeaf& on_leaf) {
  using simdjson::dom::element_type;
  switch (element.type()) {
    case element_type::OBJECT: {
      const std::size_t size = path.size();
      // A named copy: value_unsafe() refers into the temporary result.
      const simdjson::dom::object object = element.get_object().value_unsafe();
      for (simdjson::dom::key_value_pair member : object) {
        SetChildPath(size, depth, member.key);
        Walk(member.value, depth + 1, on_leaf);
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
        Walk(item, depth + 1, on_leaf);
      }
      path.resize(size);
      return;
    }
    case element_type::NULL_VALUE:
      return;  // no record
    default:
      on_leaf(element);
      return;
  }
}

}  // namespace metrics_adapter
