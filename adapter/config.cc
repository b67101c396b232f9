#include "adapter/config.h"

#include <filesystem>
#include <map>
#include <set>

#include "adapter/yaml_reader.h"
#include "parsers/registry.h"

namespace metrics_adapter {
namespace {

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

std::optional<std::chrono::milliseconds> DurationField(YamlMap& map, std::string_view key,
                                                       Diagnostics& diags) {
  std::optional<std::string> text = map.String(key);
  if (!text) return std::nullopt;
  std::optional<std::chrono::milliseconds> d = ParseDuration(*text);
  if (!d) {
    diags.Error(map.PositionOfKey(key),
                Quoted(key) + " must be a duration such as \"250ms\", \"5s\" or \"1m\"");
  }
  return d;
}

void LoadFileSource(YamlMap& map, const std::string& base_dir, SourceConfig& source,
                    Diagnostics& diags) {
  TailerOptions& t = source.tailer;
  for (const std::string& path :
       map.StringList("paths", Required::kYes).value_or(std::vector<std::string>{})) {
    t.paths.push_back(Resolve(base_dir, path));
  }
  if (map.Has("paths") && t.paths.empty()) {
    diags.Error(map.PositionOfKey("paths"), "\"paths\" must name at least one file or glob");
  }
  t.from_beginning = map.Bool("from_beginning").value_or(false);
  if (auto max = map.Integer("max_line_bytes")) {
    if (*max < 1 || *max > (64 << 20)) {
      diags.Error(map.PositionOfKey("max_line_bytes"),
                  "\"max_line_bytes\" must be between 1 and 67108864");
    } else {
      t.max_line_bytes = static_cast<std::size_t>(*max);
    }
  }
  if (auto d = DurationField(map, "poll_interval", diags)) t.poll_interval = *d;
  if (auto d = DurationField(map, "rotate_wait", diags)) t.rotate_wait = *d;
}

std::optional<SourceConfig> LoadSource(const YAML::Node& node, const std::string& file,
                                       const std::string& base_dir, Diagnostics& diags) {
  YamlMap map(node, file, diags, "source");
  if (!map.valid()) return std::nullopt;
  SourceConfig source;
  source.position = PositionOf(file, node);
  source.name = map.String("name", Required::kYes).value_or("");
  source.type = map.String("type", Required::kYes).value_or("");
  source.parser = map.String("parser").value_or("line");
  if (!FindParser(source.parser)) {
    diags.Error(map.PositionOfKey("parser"),
                "unknown parser " + Quoted(source.parser) + " (known: " + ParserNames() + ")");
  }
  for (const std::string& rules :
       map.StringList("rules", Required::kYes).value_or(std::vector<std::string>{})) {
    source.rule_files.push_back(Resolve(base_dir, rules));
  }
  if (source.type == "file") {
    LoadFileSource(map, base_dir, source, diags);
  } else if (!source.type.empty()) {
    diags.Error(map.PositionOfKey("type"),
                "unknown source type " + Quoted(source.type) + " (known: file)");
  }
  map.RejectUnknownKeys();
  return source;
}

}  // namespace

std::optional<AdapterConfig> LoadConfig(const std::string& path, Diagnostics& diags) {
  std::optional<YAML::Node> root = LoadYamlFile(path, diags);
  if (!root) return std::nullopt;
  AdapterConfig config;
  config.path = path;
  const std::string base_dir = std::filesystem::path(path).parent_path().string();

  YamlMap top(*root, path, diags, "config");
  if (!top.valid()) return std::nullopt;
  if (YAML::Node web = top.Node("web"); web.IsDefined()) {
    YamlMap web_map(web, path, diags, "\"web\"");
    if (auto address = web_map.String("listen_address")) config.listen_address = *address;
    web_map.RejectUnknownKeys();
  }
  if (YAML::Node limits = top.Node("limits"); limits.IsDefined()) {
    YamlMap limits_map(limits, path, diags, "\"limits\"");
    if (auto max = limits_map.Integer("max_series_per_family")) {
      if (*max < 1) {
        diags.Error(limits_map.PositionOfKey("max_series_per_family"),
                    "\"max_series_per_family\" must be at least 1");
      } else {
        config.max_series_per_family = static_cast<std::size_t>(*max);
      }
    }
    limits_map.RejectUnknownKeys();
  }
  YAML::Node sources = top.Node("sources", Required::kYes);
  top.RejectUnknownKeys();
  if (sources.IsDefined() && !sources.IsSequence()) {
    diags.Error(PositionOf(path, sources), "\"sources\" must be a list");
  } else if (sources.IsDefined()) {
    std::map<std::string, SourcePosition> names;
    for (const YAML::Node& node : sources) {
      std::optional<SourceConfig> source = LoadSource(node, path, base_dir, diags);
      if (!source) continue;
      if (auto [it, inserted] = names.emplace(source->name, source->position);
          !source->name.empty() && !inserted) {
        diags.Error(source->position, "source name " + Quoted(source->name) +
                                          " is used twice (first at " + it->second.ToString() +
                                          ")");
      }
      config.sources.push_back(std::move(*source));
    }
  }
  return config;
}

}  // namespace metrics_adapter
