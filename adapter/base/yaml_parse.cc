#include "adapter/base/yaml_parse.h"

#include <yaml.h>

#include <algorithm>
#include <map>
#include <memory>
#include <vector>

namespace metrics_adapter {
namespace {

// The key of the one as_if specialization below.
struct NodeFromDetail {};

}  // namespace
}  // namespace metrics_adapter

namespace YAML {

// yaml-cpp builds a YAML::Node around its detail::node only in classes it
// befriends (its own NodeBuilder is not installed); as_if is one of them, for
// every specialization. This one does only that. The tree is built with
// yaml-cpp's detail API (detail::node, detail::memory_holder) as its own
// NodeBuilder builds it; that API is yaml-cpp 0.7's (Debian 12), and a newer
// yaml-cpp must pass yaml_parse_test, which compares with YAML::Load.
template <>
struct as_if<metrics_adapter::NodeFromDetail, metrics_adapter::NodeFromDetail> {
  static Node Wrap(detail::node& node, const detail::shared_memory_holder& memory) {
    return Node(node, memory);
  }
};

}  // namespace YAML

namespace metrics_adapter {
namespace {

// Collections nested deeper than this are refused, as yaml-cpp refuses
// them, so that no reader of the tree recurses without bound.
constexpr std::size_t kMaxDepth = 1000;

// libyaml counts columns in characters; the project's positions count bytes
// (the readers search a node's line for a fragment of it).
class ColumnMapper {
 public:
  explicit ColumnMapper(std::string_view text)
      : text_(text), ascii_(std::all_of(text.begin(), text.end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x80;
        })) {}

  // The byte column of character `column` (from 0) on line `line` (from 0).
  int ByteColumn(std::size_t line, std::size_t column) {
    if (ascii_) return static_cast<int>(column);
    if (line_starts_.empty()) {
      line_starts_.push_back(0);
      for (std::size_t i = 0; i < text_.size(); ++i) {
        if (text_[i] == '\n') line_starts_.push_back(i + 1);
      }
    }
    if (line >= line_starts_.size()) return static_cast<int>(column);
    const std::size_t start = line_starts_[line];
    std::size_t at = start;
    for (std::size_t chars = 0; chars < column && at < text_.size(); ++chars) {
      ++at;  // past the lead byte, then its continuation bytes
      while (at < text_.size() && (static_cast<unsigned char>(text_[at]) & 0xC0) == 0x80) ++at;
    }
    return static_cast<int>(at - start);
  }

  // Line and byte column (from 0) of byte `offset`.
  std::pair<int, int> LineAndColumn(std::size_t offset) const {
    offset = std::min(offset, text_.size());
    const std::string_view before = text_.substr(0, offset);
    const auto line = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    const std::size_t newline = before.rfind('\n');
    const std::size_t start = newline == std::string_view::npos ? 0 : newline + 1;
    return {line, static_cast<int>(offset - start)};
  }

 private:
  std::string_view text_;
  bool ascii_;
  std::vector<std::size_t> line_starts_;
};

bool IsNullText(std::string_view text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

// Builds the node tree from libyaml's events, as yaml-cpp's NodeBuilder does
// from its own: each node is added to the collection on top of the stack
// when it is complete; a mapping takes its entries as key, value, key, ...
class TreeBuilder {
 public:
  TreeBuilder(ColumnMapper& columns, const ScalarEntryObserver* observer)
      : memory_(std::make_shared<YAML::detail::memory_holder>()),
        columns_(columns),
        observer_(observer) {}

  // False, with `error` set, when the event cannot be taken.
  bool Take(const yaml_event_t& event, YamlSyntaxError& error) {
    switch (event.type) {
      case YAML_SCALAR_EVENT: {
        const auto& scalar = event.data.scalar;
        YAML::detail::node& node = Create(event, scalar.anchor);
        const std::string_view value(reinterpret_cast<const char*>(scalar.value), scalar.length);
        const bool plain = scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (plain && scalar.tag == nullptr && IsNullText(value)) {
          node.set_null();
        } else {
          node.set_scalar(std::string(value));
          node.set_tag(Tag(scalar.tag, plain ? "?" : "!"));
        }
        Complete(node);
        return true;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        const bool map = event.type == YAML_MAPPING_START_EVENT;
        const auto* anchor =
            map ? event.data.mapping_start.anchor : event.data.sequence_start.anchor;
        const auto* tag = map ? event.data.mapping_start.tag : event.data.sequence_start.tag;
        const bool flow = map ? event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
                              : event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
        if (stack_.size() >= kMaxDepth) {
          SetError(event, "collections nested deeper than " + std::to_string(kMaxDepth), error);
          return false;
        }
        YAML::detail::node& node = Create(event, anchor);
        node.set_type(map ? YAML::NodeType::Map : YAML::NodeType::Sequence);
        node.set_tag(Tag(tag, "?"));
        node.set_style(flow ? YAML::EmitterStyle::Flow : YAML::EmitterStyle::Block);
        stack_.push_back({&node, nullptr});
        return true;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        YAML::detail::node& node = *stack_.back().collection;
        stack_.pop_back();
        Complete(node);
        return true;
      }
      case YAML_ALIAS_EVENT: {
        const auto it = anchors_.find(reinterpret_cast<const char*>(event.data.alias.anchor));
        if (it == anchors_.end()) {
          SetError(event, "the alias names no anchor defined before it", error);
          return false;
        }
        Complete(*it->second);
        return true;
      }
      default:
        return true;  // stream and document boundaries
    }
  }

  // The root of the document, once its last event is taken; a null node if
  // the document was empty.
  YAML::Node Root() const {
    if (root_ == nullptr) return YAML::Node();
    return YAML::as_if<NodeFromDetail, NodeFromDetail>::Wrap(*root_, memory_);
  }

 private:
  struct Open {
    YAML::detail::node* collection;
    YAML::detail::node* key;  // a mapping's key waiting for its value
  };

  static std::string Tag(const yaml_char_t* tag, const char* none) {
    return tag == nullptr ? none : reinterpret_cast<const char*>(tag);
  }

  YAML::Mark MarkOf(const yaml_mark_t& mark) {
    YAML::Mark result;
    result.pos = static_cast<int>(mark.index);
    result.line = static_cast<int>(mark.line);
    result.column = columns_.ByteColumn(mark.line, mark.column);
    return result;
  }

  void SetError(const yaml_event_t& event, std::string message, YamlSyntaxError& error) {
    const YAML::Mark mark = MarkOf(event.start_mark);
    error = {mark.line + 1, mark.column + 1, std::move(message)};
  }

  YAML::detail::node& Create(const yaml_event_t& event, const yaml_char_t* anchor) {
    YAML::detail::node& node = memory_->create_node();
    node.set_mark(MarkOf(event.start_mark));
    if (anchor != nullptr) anchors_[reinterpret_cast<const char*>(anchor)] = &node;
    return node;
  }

  // `node` is complete: the root, or the next item of the open collection.
  void Complete(YAML::detail::node& node) {
    if (stack_.empty()) {
      root_ = &node;
      return;
    }
    Open& open = stack_.back();
    if (open.collection->type() == YAML::NodeType::Sequence) {
      open.collection->push_back(node, memory_);
    } else if (open.key == nullptr) {
      open.key = &node;
    } else {
      if (observer_ != nullptr && open.key->type() == YAML::NodeType::Scalar &&
          node.type() == YAML::NodeType::Scalar) {
        (*observer_)(stack_.size(), open.key->scalar(), node.scalar());
      }
      open.collection->insert(*open.key, node, memory_);
      open.key = nullptr;
    }
  }

  YAML::detail::shared_memory_holder memory_;
  ColumnMapper& columns_;
  const ScalarEntryObserver* observer_;
  std::vector<Open> stack_;
  std::map<std::string, YAML::detail::node*, std::less<>> anchors_;
  YAML::detail::node* root_ = nullptr;
};

// libyaml's description of its error: the problem, and what it was reading.
std::string ParserProblem(const yaml_parser_t& parser, ColumnMapper& columns) {
  std::string message = parser.problem != nullptr ? parser.problem : "unreadable YAML";
  if (parser.context != nullptr) {
    message += std::string(" (") + parser.context;
    // Where the construct began, when that is not where the error is.
    if (parser.context_mark.index != parser.problem_mark.index) {
      message += " that starts at " + std::to_string(parser.context_mark.line + 1) + ":" +
                 std::to_string(
                     columns.ByteColumn(parser.context_mark.line, parser.context_mark.column) + 1);
    }
    message += ")";
  }
  return message;
}

}  // namespace

std::optional<YAML::Node> ParseYaml(std::string_view text, YamlSyntaxError& error,
                                    const ScalarEntryObserver* observer) {
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    error = {0, 0, "out of memory"};
    return std::nullopt;
  }
  // libyaml reads UTF-8 unless a byte order mark says otherwise.
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  ColumnMapper columns(text);
  TreeBuilder builder(columns, observer);
  std::optional<YAML::Node> result;
  bool failed = false;
  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      std::pair<int, int> at{
          static_cast<int>(parser.problem_mark.line),
          columns.ByteColumn(parser.problem_mark.line, parser.problem_mark.column)};
      // A reader error (invalid UTF-8) has only a byte offset.
      if (parser.error == YAML_READER_ERROR) at = columns.LineAndColumn(parser.problem_offset);
      error = {at.first + 1, at.second + 1, ParserProblem(parser, columns)};
      failed = true;
      break;
    }
    const yaml_event_type_t type = event.type;
    const bool taken = builder.Take(event, error);
    yaml_event_delete(&event);
    if (!taken) {
      failed = true;
      break;
    }
    // Only the first document is read, as YAML::Load does.
    if (type == YAML_DOCUMENT_END_EVENT || type == YAML_STREAM_END_EVENT) break;
  }
  yaml_parser_delete(&parser);
  if (failed) return std::nullopt;
  return builder.Root();
}

}  // namespace metrics_adapter
