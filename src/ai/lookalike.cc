#include "ai/lookalike.h"

#include "ai/features.h"
#include "ai/store.h"

// hnswlib 0.6's SSE prefetching reads one link past the end of a neighbour list (a real
// out-of-bounds read, which AddressSanitizer reports); the scalar build has no such read and is
// fast enough for the few thousand customers of a tenant.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

namespace keel::ai {
namespace {


constexpr TimeMs kDayMs = 86400000;

struct Customer {
  int64_t id = 0, owner = 0;
  std::string name, segment, industry, region;
  double revenue = 0, orders = 0, categories = 0, recency = 365, visits = 0, won = 0, won_amount = 0;
};

// The numeric traits: name, zh/en phrase with the candidate's and the best customer's values.
struct Trait {
  const char* name;
  double (*value)(const Customer&);
  const char* zh;  // "近一年下单 {a} 次（标杆客户 {b} 次）"
  const char* en;
};

double Log1p(double v) { return std::log1p(std::max(0.0, v)); }

const Trait kTraits[] = {
    {"revenue_365d", [](const Customer& c) { return Log1p(c.revenue); }, "近一年成交 ¥{a}（标杆客户 ¥{b}）",
     "¥{a} of orders in the last year (best customer ¥{b})"},
    {"orders_365d", [](const Customer& c) { return Log1p(c.orders); }, "近一年下单 {a} 次（标杆客户 {b} 次）",
     "{a} orders in the last year (best customer {b})"},
    {"order_size", [](const Customer& c) { return Log1p(c.orders > 0 ? c.revenue / c.orders : 0); }, "平均单笔 ¥{a}（标杆客户 ¥{b}）",
     "average order ¥{a} (best customer ¥{b})"},
    {"categories", [](const Customer& c) { return c.categories; }, "采购 {a} 个品类（标杆客户 {b} 个）",
     "buys {a} categories (best customer {b})"},
    {"recency_days", [](const Customer& c) { return c.recency; }, "最近一次下单在 {a} 天前（标杆客户 {b} 天前）",
     "last order {a} days ago (best customer {b})"},
    {"visits_90d", [](const Customer& c) { return Log1p(c.visits); }, "近90天接触 {a} 次（标杆客户 {b} 次）",
     "{a} contacts in 90 days (best customer {b})"},
};

std::string Shown(const char* trait, const Customer& c) {
  std::string t = trait;
  double v = t == "revenue_365d" ? c.revenue : t == "orders_365d" ? c.orders : t == "order_size" ? (c.orders > 0 ? c.revenue / c.orders : 0)
           : t == "categories" ? c.categories : t == "recency_days" ? c.recency : c.visits;
  char buf[32];
  if ((t == "revenue_365d" || t == "order_size") && v >= 10000) std::snprintf(buf, sizeof buf, "%.1f万", v / 10000);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string Fill(std::string tpl, const std::string& a, const std::string& b) {
  for (auto [k, v] : {std::pair<std::string, std::string>{"{a}", a}, {"{b}", b}}) {
    for (size_t p; (p = tpl.find(k)) != std::string::npos;) tpl.replace(p, k.size(), v);
  }
  return tpl;
}

}  // namespace

Result<std::shared_ptr<const Lookalikes>> Lookalikes::Build(store::Connection& conn, int64_t tenant, TimeMs now) {
  auto out = std::make_shared<Lookalikes>();
  KEEL_ASSIGN_OR_RETURN(auto cs, repo::B2bCustomers(conn, tenant));
  std::vector<Customer> all;
  std::unordered_map<int64_t, size_t> at;
  for (const auto& r : cs) {
    Customer c;
    c.id = r.id;
    c.name = r.name;
    c.owner = r.owner_id;
    c.segment = r.segment;
    c.industry = r.industry;
    c.region = r.region;
    at[c.id] = all.size();
    all.push_back(std::move(c));
  }
  if (all.empty()) return std::shared_ptr<const Lookalikes>(out);
  std::string year_ago = FormatTimestamp(now - 365 * kDayMs), quarter_ago = FormatTimestamp(now - 90 * kDayMs);
  // Each row's customer, when it is one of the candidates.
  auto find = [&](int64_t id) -> Customer* {
    auto it = at.find(id);
    return it == at.end() ? nullptr : &all[it->second];
  };
  KEEL_ASSIGN_OR_RETURN(auto orders, repo::OrderStats(conn, tenant, year_ago));
  for (const auto& r : orders) {
    Customer* c = find(r.customer_id);
    if (!c) continue;
    c->orders = r.orders;
    c->revenue = r.revenue_fen / 100.0;
    if (auto last = ParseTimestamp(r.last_order); last.ok()) c->recency = std::min(365.0, static_cast<double>(now - *last) / kDayMs);
  }
  KEEL_ASSIGN_OR_RETURN(auto categories, repo::CategoriesBought(conn, tenant, year_ago));
  for (const auto& r : categories) {
    if (Customer* c = find(r.customer_id)) c->categories = r.count;
  }
  KEEL_ASSIGN_OR_RETURN(auto visits, repo::ActivityCounts(conn, tenant, quarter_ago));
  for (const auto& r : visits) {
    if (Customer* c = find(r.customer_id)) c->visits = r.count;
  }
  KEEL_ASSIGN_OR_RETURN(auto won_deals, repo::WonDeals(conn, tenant));
  for (const auto& r : won_deals) {
    if (Customer* c = find(r.customer_id)) {
      c->won = r.count;
      c->won_amount = r.amount_fen / 100.0;
    }
  }
  // The best: customers with won deals, the top tenth by won amount (at least 20 when there are).
  std::vector<size_t> won;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].won > 0) won.push_back(i);
  }
  std::sort(won.begin(), won.end(), [&](size_t a, size_t b) { return all[a].won_amount > all[b].won_amount; });
  won.resize(std::min(won.size(), std::max<size_t>(20, won.size() / 10)));
  std::vector<size_t> candidates;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].won == 0) candidates.push_back(i);
  }
  out->best_customers = static_cast<int64_t>(won.size());
  out->candidates = static_cast<int64_t>(candidates.size());
  if (won.empty() || candidates.empty()) return std::shared_ptr<const Lookalikes>(out);
  // Standardised numeric traits, then one-hot segment / industry / region (top levels).
  const size_t nt = std::size(kTraits);
  std::vector<double> mean(nt, 0), sd(nt, 0);
  for (const auto& c : all) {
    for (size_t k = 0; k < nt; ++k) mean[k] += kTraits[k].value(c) / static_cast<double>(all.size());
  }
  for (const auto& c : all) {
    for (size_t k = 0; k < nt; ++k) sd[k] += std::pow(kTraits[k].value(c) - mean[k], 2) / static_cast<double>(all.size());
  }
  for (double& v : sd) v = v > 0 ? std::sqrt(v) : 1;
  std::vector<std::pair<std::string, std::string>> onehot;  // (kind, level)
  for (const char* kind : {"segment", "industry", "region"}) {
    std::map<std::string, int> counts;
    for (const auto& c : all) {
      const std::string& v = std::string(kind) == "segment" ? c.segment : std::string(kind) == "industry" ? c.industry : c.region;
      if (!v.empty()) counts[v]++;
    }
    std::vector<std::pair<int, std::string>> sorted;
    for (const auto& [v, n] : counts) sorted.push_back({n, v});
    std::sort(sorted.rbegin(), sorted.rend());
    for (size_t i = 0; i < sorted.size() && i < 12; ++i) onehot.push_back({kind, sorted[i].second});
  }
  const size_t dim = nt + onehot.size();
  auto vec = [&](const Customer& c) {
    std::vector<float> v(dim, 0.0f);
    for (size_t k = 0; k < nt; ++k) v[k] = static_cast<float>((kTraits[k].value(c) - mean[k]) / sd[k]);
    for (size_t j = 0; j < onehot.size(); ++j) {
      const auto& [kind, level] = onehot[j];
      const std::string& val = kind == "segment" ? c.segment : kind == "industry" ? c.industry : c.region;
      v[nt + j] = val == level ? 1.0f : 0.0f;
    }
    return v;
  };
  hnswlib::L2Space space(dim);
  hnswlib::HierarchicalNSW<float> index(&space, candidates.size(), 16, 200, 7);
  std::vector<std::vector<float>> cand_vecs(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    cand_vecs[i] = vec(all[candidates[i]]);
    index.addPoint(cand_vecs[i].data(), i);
  }
  index.setEf(100);
  // Every best customer asks for its nearest candidates; a candidate keeps its closest match.
  std::map<size_t, std::pair<float, size_t>> match;  // candidate → (distance², best customer)
  size_t k = std::min<size_t>(candidates.size(), 30);
  for (size_t b : won) {
    std::vector<float> q = vec(all[b]);
    auto found = index.searchKnn(q.data(), k);
    while (!found.empty()) {
      auto [d2, label] = found.top();
      found.pop();
      auto it = match.find(label);
      if (it == match.end() || d2 < it->second.first) match[label] = {d2, b};
    }
  }
  std::vector<std::pair<float, size_t>> ranked;
  for (const auto& [cand, m] : match) ranked.push_back({m.first, cand});
  std::sort(ranked.begin(), ranked.end());
  for (const auto& [d2, cand] : ranked) {
    const Customer& c = all[candidates[cand]];
    const Customer& b = all[match[cand].second];
    std::vector<float> bv = vec(b);
    std::vector<std::string> zh, en;
    if (!c.industry.empty() && c.industry == b.industry) {
      zh.push_back("同属「" + ZhValue(c.industry) + "」行业");
      en.push_back("same industry: " + c.industry);
    }
    if (!c.segment.empty() && c.segment == b.segment) {
      zh.push_back("同为「" + ZhValue(c.segment) + "」客户");
      en.push_back("same segment: " + c.segment);
    }
    if (!c.region.empty() && c.region == b.region) {
      zh.push_back("同在" + c.region);
      en.push_back("same region: " + c.region);
    }
    // The numeric traits it shares most closely (and that are not all zero).
    std::vector<std::pair<float, size_t>> close;
    for (size_t t2 = 0; t2 < nt; ++t2) {
      if (kTraits[t2].value(c) == 0 && kTraits[t2].value(b) == 0) continue;
      close.push_back({std::fabs(cand_vecs[cand][t2] - bv[t2]), t2});
    }
    std::sort(close.begin(), close.end());
    for (size_t i = 0; i < close.size() && zh.size() < 4; ++i) {
      if (close[i].first > 0.5f) break;
      zh.push_back(Fill(kTraits[close[i].second].zh, Shown(kTraits[close[i].second].name, c), Shown(kTraits[close[i].second].name, b)));
      en.push_back(Fill(kTraits[close[i].second].en, Shown(kTraits[close[i].second].name, c), Shown(kTraits[close[i].second].name, b)));
    }
    double similarity = 1.0 / (1.0 + std::sqrt(static_cast<double>(d2)));
    Lookalike l;
    l.customer_id = c.id;
    l.name = c.name;
    l.owner_id = c.owner;
    l.similarity = std::round(similarity * 1000) / 1000;
    l.like = Lookalike::Like{b.id, b.name, b.won_amount};
    l.reasons_zh = std::move(zh);
    l.reasons_en = std::move(en);
    out->ranked.push_back(std::move(l));
  }
  return std::shared_ptr<const Lookalikes>(out);
}

}  // namespace keel::ai
