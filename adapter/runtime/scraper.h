// Scraper: one scrape of the adapter. Every pulled source is fetched at
// once, each under its own timeout, into a fresh store of its own (a failed
// fetch leaves its series absent, not stale); concurrent scrapes share a
// source's fetch under way (see PullSource). Then the streamed sources'
// store, the pulled results and the adapter's own metrics are rendered
// together: a scrape takes the slowest source's timeout plus rendering at
// most. A reload builds a new Scraper; a scrape holds the one it started
// with, so a reload during it pulls nothing away.
//
// metrics_adapter_series{family} counts every family's series served: the
// streamed store's plus each pulled source's of this scrape. No two stores
// hold one series: a config in which two sources could write one is
// refused at load (collisions.h).
//
// Usage:
//   auto scraper = std::make_shared<const Scraper>(pulls, schema, max_series);
//   scraper->Scrape(store, self_exposable, ExpositionFormat::kText, kWholeBody,
//                   [&](std::string body, bool) { Use(body); });
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "adapter/exposition/exposable.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/pull_source.h"
#include "adapter/store/series_store.h"
#include "rules/schema.h"

namespace metrics_adapter {

class Scraper {
 public:
  // `schema` and `max_series_per_family` shape each pulled source's store.
  Scraper(std::vector<std::shared_ptr<PullSource>> pulls, std::shared_ptr<const Schema> schema,
          std::size_t max_series_per_family);

  // Fetches every pulled source and renders `streamed` (the streamed
  // sources' store), their results and `self`, in that order, in `format`,
  // handing the text to `sink` in chunks (see the chunked RenderExposition).
  // Thread-safe.
  void Scrape(const SeriesStore& streamed, const Exposable& self, ExpositionFormat format,
              std::size_t chunk_bytes, const ExpositionSink& sink) const;

 private:
  // Each pulled source's result, in order: its own fetch's, or the one of a
  // fetch already under way when this scrape arrived (PullSource::Scrape).
  std::vector<PullSource::Scraped> FetchAll() const;

  std::vector<std::shared_ptr<PullSource>> pulls_;
  std::shared_ptr<const Schema> schema_;
  std::size_t max_series_per_family_;
};

}  // namespace metrics_adapter
