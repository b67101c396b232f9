#include "adapter/runtime/scraper.h"

#include <future>

#include "adapter/exposition/exposition.h"

namespace metrics_adapter {
namespace {

// The streamed store, its metrics_adapter_series counting the pulled
// sources' series of this scrape too.
class StreamedWithPulled final : public Exposable {
 public:
  StreamedWithPulled(const SeriesStore& streamed, SeriesStore::SeriesByFamily pulled)
      : streamed_(streamed), pulled_(std::move(pulled)) {}
  std::unique_ptr<TextSnapshot> OpenSnapshot() const override {
    return streamed_.OpenSnapshot(pulled_);
  }

 private:
  const SeriesStore& streamed_;
  SeriesStore::SeriesByFamily pulled_;
};

}  // namespace

Scraper::Scraper(std::vector<std::shared_ptr<PullSource>> pulls,
                 std::shared_ptr<const Schema> schema, std::size_t max_series_per_family)
    : pulls_(std::move(pulls)),
      schema_(std::move(schema)),
      max_series_per_family_(max_series_per_family) {}

std::vector<PullSource::Scraped> Scraper::FetchAll() const {
  std::vector<PullSource::Scraped> scraped(pulls_.size());
  auto scrape = [this, &scraped](std::size_t i) {
    scraped[i] = pulls_[i]->Scrape(*schema_, max_series_per_family_);
  };
  // The last one runs on this thread: a single pulled source, the common
  // case, then costs no thread start.
  std::vector<std::future<void>> done;
  for (std::size_t i = 0; i + 1 < pulls_.size(); ++i) {
    done.push_back(std::async(std::launch::async, scrape, i));
  }
  if (!pulls_.empty()) scrape(pulls_.size() - 1);
  for (auto& d : done) d.get();
  return scraped;
}

void Scraper::Scrape(const SeriesStore& streamed, const Exposable& self, ExpositionFormat format,
                     std::size_t chunk_bytes, const ExpositionSink& sink) const {
  const std::vector<PullSource::Scraped> scraped = FetchAll();
  SeriesStore::SeriesByFamily pulled_series;
  for (const auto& s : scraped) s.store->AddSeriesByFamily(pulled_series);
  const StreamedWithPulled streamed_with_pulled(streamed, std::move(pulled_series));
  std::vector<const Exposable*> exposables = {&streamed_with_pulled};
  for (const auto& s : scraped) exposables.push_back(s.store.get());
  exposables.push_back(&self);
  RenderExposition(exposables, format, chunk_bytes, sink);
}

}  // namespace metrics_adapter
