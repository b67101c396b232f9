#include "adapter/runtime/collisions.h"

#include <map>
#include <set>
#include <string>

#include "adapter/base/strings.h"

namespace metrics_adapter {
namespace {

// What one source's rules do to one family.
struct Writer {
  const LoadedSource* source = nullptr;
  SourcePosition emit;      // its first emit into the family
  bool sets = false;        // some emit `set`s it
  SourcePosition set_emit;  // that emit
};

// Every family each source writes, by family index, with its writers in
// config order.
std::map<int, std::vector<Writer>> WritersByFamily(const std::vector<LoadedSource>& sources) {
  std::map<int, std::vector<Writer>> writers;
  for (const LoadedSource& source : sources) {
    if (!source.rules) continue;
    std::map<int, Writer> mine;
    for (const CompiledRule& rule : source.rules->rules()) {
      for (const EmitPlan& emit : rule.emits) {
        auto [it, fresh] = mine.try_emplace(emit.family);
        if (fresh) it->second = {&source, emit.position, false, {}};
        if (emit.op == UpdateOp::kSet && !it->second.sets) {
          it->second.sets = true;
          it->second.set_emit = emit.position;
        }
      }
    }
    for (auto& [family, writer] : mine) writers[family].push_back(writer);
  }
  return writers;
}

std::string Describe(const Writer& writer) {
  return "source " + Quoted(writer.source->config.name) + " (" +
         writer.source->config.position.ToString() + ", its rule at " + writer.emit.ToString() +
         ")";
}

// Whether the two writers' series differ in some constant label: a name
// with different values, or one only one of them has (values are never
// empty, so the other's series lack it).
bool ToldApart(const Writer& a, const Writer& b) {
  return a.source->config.labels != b.source->config.labels;
}

std::string LabelsText(const Writer& writer) {
  if (writer.source->config.labels.empty()) return "no constant labels";
  std::string text = "the same constant labels {";
  for (const SourceLabel& label : writer.source->config.labels) {
    text += (text.back() == '{' ? "" : ", ") + label.name + ": " + Quoted(label.value);
  }
  return text + "}";
}

// Why `writers` of a shared family do not add up, or "".
std::string WhyNotShared(const std::vector<Writer>& writers) {
  for (const Writer& writer : writers) {
    if (writer.source->config.pulled()) {
      return "source " + Quoted(writer.source->config.name) + " is pulled (type " +
             Quoted(writer.source->config.type) +
             "): each scrape fills its own series, which do not add up with another source's";
    }
    if (writer.sets) {
      return "source " + Quoted(writer.source->config.name) + " sets it (" +
             writer.set_emit.ToString() + "): a set replaces what another source wrote";
    }
  }
  return "";
}

}  // namespace

void CheckCollisions(const AdapterConfig& config, const std::vector<LoadedSource>& sources,
                     const Schema& schema, Diagnostics& diags) {
  std::map<std::string, SourcePosition> shared;
  for (const auto& [name, position] : config.shared_families) {
    if (schema.IndexOf(name) < 0) {
      diags.Error(position,
                  "\"shared_families\": no rule file of this config declares " + Quoted(name));
      continue;
    }
    shared.emplace(name, position);
  }
  for (const auto& [family, writers] : WritersByFamily(sources)) {
    if (writers.size() < 2) continue;
    const std::string& name = schema.at(family).name;
    if (auto it = shared.find(name); it != shared.end()) {
      if (std::string why = WhyNotShared(writers); !why.empty()) {
        diags.Error(it->second, "\"shared_families\": the sources writing " + Quoted(name) +
                                    " cannot add up: " + why);
      }
      continue;
    }
    // Each later writer against every earlier one it is not told apart
    // from, once: three sources with one label value give two errors, each
    // naming the source to change.
    for (std::size_t j = 1; j < writers.size(); ++j) {
      for (std::size_t i = 0; i < j; ++i) {
        if (ToldApart(writers[i], writers[j])) continue;
        diags.Error(writers[j].source->config.position,
                    Describe(writers[i]) + " and " + Describe(writers[j]) + " both write family " +
                        Quoted(name) + " with " + LabelsText(writers[j]) +
                        ": one would change or hide the other's series. Tell them apart with "
                        "\"labels:\" (e.g. labels: {service: ...}) or, for streamed sources "
                        "whose counts add up, list " +
                        Quoted(name) + " in \"shared_families\"");
        break;
      }
    }
  }
}

}  // namespace metrics_adapter
