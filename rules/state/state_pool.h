// StatePool: the state tables of the rule sets loaded so far, so a reload
// that leaves a table's declaration unchanged keeps its entries. Each source
// has tables of its own (`owner`): two sources reading one rule file do not
// share sessions.
//
// Usage (a reload):
//   auto table = pool.Get("web", declaration);  // the live table, or a new one
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "rules/state/state_table.h"

namespace metrics_adapter {

class StatePool {
 public:
  // The table `owner` had under this same declaration, if a rule set still
  // holds it; else a new, empty one. Thread-safe.
  std::shared_ptr<StateTable> Get(const std::string& owner, const StateDeclaration& declaration);

 private:
  struct Held {
    std::string owner;
    std::weak_ptr<StateTable> table;
  };
  std::mutex mu_;
  std::vector<Held> held_;
};

}  // namespace metrics_adapter
