#include "rules/state/state_pool.h"

#include <algorithm>

namespace metrics_adapter {

std::shared_ptr<StateTable> StatePool::Get(const std::string& owner,
                                           const StateDeclaration& declaration) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(held_, [](const Held& held) { return held.table.expired(); });
  for (const Held& held : held_) {
    if (held.owner != owner) continue;
    std::shared_ptr<StateTable> table = held.table.lock();
    if (table && table->declaration() == declaration) return table;
  }
  auto table = std::make_shared<StateTable>(declaration);
  held_.push_back({owner, table});
  return table;
}

}  // namespace metrics_adapter
