// ParseYaml: the first document of a YAML text as a yaml-cpp node tree, read
// by libyaml.
//
// yaml-cpp's own scanner matches a small regex tree at every byte: a rule
// file of 1,000 rules (330 KB) costs it 485M instructions, about 100 ms,
// where libyaml reads the same events in 72M. Every reader of the project
// works on YAML::Node (YamlMap, the config, the rules), so the nodes stay
// yaml-cpp's; only the parsing is libyaml's. The tree is what YAML::Load
// gives for the same text: the same node types, scalars, tags ("?" for a
// plain scalar or collection without a tag, "!" for a quoted scalar),
// aliases sharing their anchor's node, a plain `~`/`null`/empty value as a
// null node, an empty text as a null node, and marks counting lines and
// byte columns from 0 at each node's first character (a quoted scalar's
// opening quote, a block mapping's first key). Two differences: a key
// written without a value (`name:`) has its null value marked right after
// the colon, on the key's line (yaml-cpp marks where the next token starts);
// and a text that is not valid UTF-8 is an error at the first bad byte, as
// the YAML specification asks (yaml-cpp replaces such bytes).
//
// Thread-safe (no shared state).
//
// Usage:
//   YamlSyntaxError error;
//   std::optional<YAML::Node> root = ParseYaml(text, error);
//   if (!root) report(error.line, error.column, error.message);
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace metrics_adapter {

struct YamlSyntaxError {
  int line = 0;         // from 1; 0 when unknown
  int column = 0;       // from 1, in bytes; 0 when unknown
  std::string message;  // libyaml's problem, and its context ("while parsing a block mapping")
};

// Told of each scalar value of a mapping as soon as it is parsed, before the
// rest of the text is: its key (a scalar), the value, and `depth`, how many
// collections hold it (1: a value of the root mapping). It lets a reader
// start work on part of a large document early (the rule loader compiles
// each rule's regex while the rest of the file is parsed). An alias is told
// as its anchor's scalar; a value under a key that is not a scalar is not.
using ScalarEntryObserver =
    std::function<void(std::size_t depth, std::string_view key, std::string_view value)>;

// The root of the first document of `text`; std::nullopt with `error` set on
// a syntax error, invalid UTF-8, or an alias of an unknown anchor. Values
// are told to `observer`, if any, as they are parsed, even if the text
// turns out to be invalid further on.
std::optional<YAML::Node> ParseYaml(std::string_view text, YamlSyntaxError& error,
                                    const ScalarEntryObserver* observer = nullptr);

}  // namespace metrics_adapter
