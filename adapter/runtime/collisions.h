// Collisions: two sources of one config that could write the same series.
//
// Streamed sources (file, udp, tcp_listener) write into one store, where two
// sources' updates of one series add up (counters, histograms) or overwrite
// each other (a gauge's `set`); every pulled source fills a store of its own
// at each scrape, and of two identical series RenderExposition keeps the
// first exposable's, the streamed store's, then the pulled sources' in the
// order of their names. Either way one source's numbers would silently
// change or hide another's. So a config in which two sources have rules
// writing the same family is reported, both sources and the family named,
// unless the config lists the family in `shared_families:`, which says that
// the sources' updates add up: allowed only where they do add up, when every
// writer is streamed and none `set`s the family (an entry that does not hold
// is an error).
//
// An unlisted collision is a warning, not an error: rules may still tell the
// sources' series apart by a label taken from the input (a pulled page's own
// name or instance field), which this check cannot see, and sources cannot
// yet carry constant labels of their own.
//
// Usage:
//   CheckCollisions(config, loaded_sources, schema, diags);  // errors in diags
#pragma once

#include <vector>

#include "adapter/base/diagnostics.h"
#include "adapter/config/config.h"
#include "adapter/runtime/loaded_config.h"
#include "rules/schema.h"

namespace metrics_adapter {

// Warns in `diags` of every family written by more than one source of
// `sources` and not in `shared_families`; reports an error for every
// `shared_families` entry that names no family of `schema` or whose writers
// do not add up.
void CheckCollisions(const AdapterConfig& config, const std::vector<LoadedSource>& sources,
                     const Schema& schema, Diagnostics& diags);

}  // namespace metrics_adapter
