#include "adapter/runtime/scraper.h"

#include <future>

#include "adapter/exposition/exposition.h"

namespace metrics_adapter {

Scraper::Scraper(std::vector<std::shared_ptr<PullSource>> pulls,
                 std::shared_ptr<const Schema> schema, std::size_t max_series_per_family)
    : pulls_(std::move(pulls)),
      schema_(std::move(schema)),
      max_series_per_family_(max_series_per_family) {}

std::vector<std::unique_ptr<SeriesStore>> Scraper::FetchAll() const {
  std::vector<std::unique_ptr<SeriesStore>> scraped;
  for (std::size_t i = 0; i < pulls_.size(); ++i) {
    scraped.push_back(
        std::make_unique<SeriesStore>(*schema_, max_series_per_family_, /*own_metrics=*/false));
  }
  // The last one runs on this thread: a single pulled source, the common
  // case, then costs no thread start.
  std::vector<std::future<bool>> done;
  for (std::size_t i = 0; i + 1 < pulls_.size(); ++i) {
    done.push_back(std::async(
        std::launch::async,
        [pull = pulls_[i].get(), store = scraped[i].get()] { return pull->Scrape(*store); }));
  }
  if (!pulls_.empty()) pulls_.back()->Scrape(*scraped.back());
  for (auto& d : done) d.wait();
  return scraped;
}

std::string Scraper::Scrape(const Exposable& streamed, const Exposable& self,
                            ExpositionFormat format) const {
  const std::vector<std::unique_ptr<SeriesStore>> scraped = FetchAll();
  std::vector<const Exposable*> exposables = {&streamed};
  for (const auto& store : scraped) exposables.push_back(store.get());
  exposables.push_back(&self);
  return RenderExposition(exposables, format);
}

}  // namespace metrics_adapter
