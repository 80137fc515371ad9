#include "org/money_json.h"

#include <cmath>

#include "org/internal.h"

namespace keel::org {

using json = nlohmann::json;

namespace {

template <class T>
json OrNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

json ToJson(const Budget& b) {
  double amount = Yuan(b.amount_fen), committed = Yuan(b.committed_fen);
  json out = {{"id", b.id}, {"unit_id", b.unit_id}, {"unit", b.unit},
              {"category", b.category}, {"period", b.period}, {"period_start", b.period_start},
              {"period_end", b.period_end}, {"amount", amount}, {"committed", committed},
              {"remaining", std::round((amount - committed) * 100) / 100}, {"updated_at", b.updated_at}};
  if (b.entries) {
    json list = json::array();
    for (const auto& x : *b.entries) {
      list.push_back({{"id", x.id}, {"amount", Yuan(x.amount_fen)}, {"kind", x.kind},
                      {"source_object", OrNull(x.source_object)}, {"source_id", OrNull(x.source_id)}, {"note", OrNull(x.note)},
                      {"actor_id", OrNull(x.actor_id)}, {"at", x.at}});
    }
    out["entries"] = list;
  }
  return out;
}

json ToJson(const std::vector<Budget>& budgets) {
  json items = json::array();
  for (const auto& b : budgets) items.push_back(ToJson(b));
  return json{{"items", items}};
}

}  // namespace keel::org
