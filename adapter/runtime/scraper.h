// Scraper: one scrape of the adapter. Every pulled source is fetched at
// once, each under its own timeout, into a fresh store of its own (a failed
// fetch leaves its series absent, not stale); then the streamed sources'
// store, the pulled results and the adapter's own metrics are rendered
// together. A reload builds a new Scraper; a scrape holds the one it started
// with, so a reload during it pulls nothing away.
//
// Usage:
//   auto scraper = std::make_shared<const Scraper>(pulls, schema, max_series);
//   std::string body = scraper->Scrape(store, self_exposable);
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "adapter/exposition/exposable.h"
#include "adapter/exposition/exposition.h"
#include "adapter/pipeline/pull_source.h"
#include "rules/schema.h"

namespace metrics_adapter {

class Scraper {
 public:
  // `schema` and `max_series_per_family` shape each pulled source's store.
  Scraper(std::vector<std::shared_ptr<PullSource>> pulls, std::shared_ptr<const Schema> schema,
          std::size_t max_series_per_family);

  // Fetches every pulled source and renders `streamed` (the streamed
  // sources' store), their results and `self`, in that order, in `format`.
  // Thread-safe.
  std::string Scrape(const Exposable& streamed, const Exposable& self,
                     ExpositionFormat format = ExpositionFormat::kText) const;

 private:
  // One fresh store per pulled source, filled by its fetch.
  std::vector<std::unique_ptr<SeriesStore>> FetchAll() const;

  std::vector<std::shared_ptr<PullSource>> pulls_;
  std::shared_ptr<const Schema> schema_;
  std::size_t max_series_per_family_;
};

}  // namespace metrics_adapter
