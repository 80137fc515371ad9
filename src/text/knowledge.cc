// The knowledge base (BM25 over segmented text, snippets with highlights), talk tracks for an open
// deal from similar won deals, and the optional drafted follow-up from an OpenAI-compatible API.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "text/internal.h"

namespace keel::text {

struct TextService::Impl::Kb {
  struct Doc {
    std::string kind, title, body, product_line, segment;
    int64_t id = 0;              // kb_documents id, or the activity id of a won-deal note
    int64_t opportunity_id = 0;  // won-deal notes
    size_t len = 0;
  };
  std::vector<Doc> docs;
  std::unordered_map<std::string, std::vector<std::pair<uint32_t, uint32_t>>> postings;  // term → (doc, tf)
  double avgdl = 1;
  TimeMs built_at = 0;
  Terms terms;

  void Add(Doc d) {
    auto tokens = Segment(d.title + "\n" + d.body, terms);
    std::map<std::string, uint32_t> tf;
    for (const auto& t : tokens) {
      if (!t.number && !IsStopWord(t.norm)) tf[t.norm]++;
    }
    // The title counts twice.
    for (const auto& t : Segment(d.title, terms)) {
      if (!t.number && !IsStopWord(t.norm)) tf[t.norm]++;
    }
    d.len = tokens.size() + 1;
    uint32_t idx = static_cast<uint32_t>(docs.size());
    for (const auto& [w, n] : tf) postings[w].push_back({idx, n});
    docs.push_back(std::move(d));
  }
  void Finish() {
    double total = 0;
    for (const auto& d : docs) total += static_cast<double>(d.len);
    avgdl = docs.empty() ? 1 : total / static_cast<double>(docs.size());
  }
  // BM25 (k1 = 1.2, b = 0.75) of every document matching any query word.
  std::unordered_map<uint32_t, double> Score(const std::vector<std::string>& words) const {
    std::unordered_map<uint32_t, double> out;
    double n = static_cast<double>(docs.size());
    for (const auto& w : words) {
      auto it = postings.find(w);
      if (it == postings.end()) continue;
      double df = static_cast<double>(it->second.size());
      double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
      for (const auto& [d, tf] : it->second) {
        double f = tf, len = static_cast<double>(docs[d].len);
        out[d] += idf * f * 2.2 / (f + 1.2 * (0.25 + 0.75 * len / avgdl));
      }
    }
    return out;
  }
};

namespace {

constexpr TimeMs kKbMaxAgeMs = 10 * 60 * 1000;

// "家电/空调/挂机" → "空调": the product line is the level below the root.
std::string ProductLine(const std::string& path) {
  size_t a = path.find('/');
  if (a == std::string::npos) return path;
  size_t b = path.find('/', a + 1);
  return path.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
}

std::vector<std::string> QueryWords(const std::string& q, const Terms& terms) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& t : Segment(q, terms)) {
    if (IsStopWord(t.norm) || !seen.insert(t.norm).second) continue;
    out.push_back(t.norm);
  }
  return out;
}

// The sentence of `body` that holds most query words, with them wrapped in <em>…</em>.
std::string Snippet(const std::string& body, const std::set<std::string>& words, const Terms& terms, size_t max_cp = 120) {
  auto sents = Sentences(body);
  if (sents.empty()) return {};
  // The sentence with the most distinct query words (then the most hits); a Markdown heading
  // counts half, so the text under it wins a tie.
  size_t best = 0;
  double best_score = -1;
  for (size_t i = 0; i < sents.size(); ++i) {
    std::string s = body.substr(sents[i].first, sents[i].second - sents[i].first);
    std::set<std::string> distinct;
    int hits = 0;
    for (const auto& t : Segment(s, terms)) {
      if (!words.count(t.norm)) continue;
      distinct.insert(t.norm);
      ++hits;
    }
    double score = static_cast<double>(distinct.size()) + 0.1 * hits;
    if (!s.empty() && s[0] == '#') score *= 0.5;
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  std::string s = body.substr(sents[best].first, sents[best].second - sents[best].first);
  std::string out;
  size_t at = 0, cps = 0;
  for (const auto& t : Segment(s, terms)) {
    if (cps > max_cp) break;
    std::string gap = s.substr(at, t.begin - at);
    out += gap;
    cps += CodePoints(gap);
    std::string w = s.substr(t.begin, t.end - t.begin);
    out += words.count(t.norm) ? "<em>" + w + "</em>" : w;
    cps += CodePoints(w);
    at = t.end;
  }
  if (cps <= max_cp) out += s.substr(at);
  else out += "…";
  if (best > 0) out = "…" + out;
  return out;
}

std::string ParamOf(const std::vector<std::pair<std::string, std::string>>& q, const std::string& k) {
  for (const auto& [n, v] : q) {
    if (n == k) return v;
  }
  return {};
}

const std::vector<std::string> kKinds = {"playbook", "faq", "case", "won_deal_note", "product", "policy"};

KbDocument DocumentOf(const repo::KbDocumentRow& d) {
  return KbDocument{.id = d.id, .title = d.title, .kind = d.kind, .product_line = d.product_line, .segment = d.segment,
                    .opportunity_id = d.opportunity_id, .created_at = d.created_at};
}

}  // namespace

void TextService::Impl::ForgetKb(int64_t tenant) {
  std::lock_guard lock(kb_mu);
  kb.erase(tenant);
}

Result<std::shared_ptr<TextService::Impl::Kb>> TextService::Impl::KbOf(int64_t tenant) {
  TimeMs now = clock.NowMs();
  {
    std::lock_guard lock(kb_mu);
    if (auto it = kb.find(tenant); it != kb.end() && now - it->second->built_at < kKbMaxAgeMs) return it->second;
  }
  KEEL_ASSIGN_OR_RETURN(auto t, Tenant(tenant));
  auto k = std::make_shared<Kb>();
  k->terms = t->terms;
  k->built_at = now;
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::KbDocumentRow> docs, repo::KbDocuments(*conn, tenant));
  for (auto& r : docs) {
    k->Add({.kind = r.kind, .title = r.title, .body = std::move(r.body), .product_line = r.product_line, .segment = r.segment,
            .id = r.id, .opportunity_id = r.opportunity_id});
  }
  // The notes of won deals are knowledge too.
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::WonDealNote> won, repo::WonDealNotes(*conn, tenant));
  for (auto& r : won) {
    if (!IsCleanText(r.notes)) continue;
    k->Add({.kind = "won_deal_note", .title = "赢单纪要 · " + r.opportunity_name, .body = std::move(r.notes),
            .product_line = r.product_category ? ProductLine(*r.product_category) : "", .segment = r.segment.value_or(""),
            .id = r.activity_id, .opportunity_id = r.opportunity_id});
  }
  k->Finish();
  std::lock_guard lock(kb_mu);
  kb[tenant] = k;
  return k;
}

Result<KbDocument> TextService::AddDocument(const Principal& p, const KbDocumentCommand& cmd) {
  KEEL_RETURN_IF_ERROR(Authorize(p, Change::kAddDocument));
  KEEL_RETURN_IF_ERROR(CheckText(cmd.title, "title", 200));
  KEEL_RETURN_IF_ERROR(CheckText(cmd.body, "body", 200000));
  const std::string& title = cmd.title;
  const std::string& text = cmd.body;
  const std::string& kind = cmd.kind;
  if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end()) {
    return Bad("validation.enum", "kind must be one of: playbook, faq, case, won_deal_note, product, policy",
               "kind 只能取：playbook、faq、case、won_deal_note、product、policy", "kind");
  }
  std::string pl = cmd.product_line.value_or(""), seg = cmd.segment.value_or("");
  if (cmd.product_line) KEEL_RETURN_IF_ERROR(CheckText(pl, "product_line", 64));
  if (cmd.segment) KEEL_RETURN_IF_ERROR(CheckText(seg, "segment", 64));
  int64_t opp = cmd.opportunity_id.value_or(0);
  if (cmd.opportunity_id) {
    KEEL_RETURN_IF_ERROR(impl_->records.Get(p, *domain::FindEntity("opportunities"), opp).status().WithField("opportunity_id"));
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  repo::KbDocumentRow row{.id = ids[0], .kind = kind, .title = title, .body = text, .product_line = pl, .segment = seg,
                          .created_at = now, .opportunity_id = opp,
                          .created_by = p.user_id ? std::optional<int64_t>(p.user_id) : std::nullopt};
  KEEL_RETURN_IF_ERROR(repo::InsertKbDocument(*conn, p.tenant_id, row));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  impl_->ForgetKb(p.tenant_id);
  KbDocument out = DocumentOf(row);
  out.chars = static_cast<int64_t>(CodePoints(text));
  return out;
}

Result<std::vector<KbDocument>> TextService::ListDocuments(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::KbDocumentRow> docs, repo::ListKbDocuments(*conn, p.tenant_id));
  std::vector<KbDocument> out;
  for (const auto& d : docs) out.push_back(DocumentOf(d));
  return out;
}

Result<KbDocument> TextService::GetDocument(const Principal& p, int64_t id) {
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::KbDocumentRow> d, repo::LoadKbDocument(*conn, p.tenant_id, id));
  if (!d) return Status::NotFound("document");
  KbDocument out = DocumentOf(*d);
  out.body = d->body;
  return out;
}

Result<KbDocument> TextService::ArchiveDocument(const Principal& p, int64_t id) {
  if (domain::IsReadOnly(p.role) || p.role == domain::Role::kRep) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "reps and read-only roles may not change the knowledge base",
                         "销售代表和只读角色不能修改知识库");
  }
  KEEL_ASSIGN_OR_RETURN(KbDocument doc, GetDocument(p, id));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_RETURN_IF_ERROR(repo::ArchiveKbDocument(*conn, p.tenant_id, id, FormatTimestamp(impl_->clock.NowMs())));
  impl_->ForgetKb(p.tenant_id);
  doc.body.reset();
  doc.archived = true;
  return doc;
}

namespace {

// Which deals the caller may open: won-deal notes (and documents tied to a deal) are shown in
// full only when the caller can open the deal itself; shared playbooks, FAQs and policies
// (no deal) are for everyone. Answers are cached for one request.
class DealScope {
 public:
  DealScope(const Principal& p, domain::RecordService& records) : p_(p), records_(records) {}
  bool Visible(int64_t opportunity_id) {
    if (opportunity_id == 0 || p_.is_system() || domain::SeesWholeTenant(p_.role)) return true;
    auto it = seen_.find(opportunity_id);
    if (it != seen_.end()) return it->second;
    bool ok = records_.Get(p_, *domain::FindEntity("opportunities"), opportunity_id).ok();
    seen_[opportunity_id] = ok;
    return ok;
  }

 private:
  const Principal& p_;
  domain::RecordService& records_;
  std::map<int64_t, bool> seen_;
};

// Checking visibility costs a lookup per deal: a search looks at this many candidates at most.
constexpr size_t kMaxScopeChecks = 400;

// Why a won deal is like this one, in Chinese and English, by deal.
using Reasons = std::map<int64_t, std::pair<std::vector<std::string>, std::vector<std::string>>>;
using DealMatches = std::map<int64_t, std::pair<double, std::vector<uint32_t>>>;  // deal → best BM25, its notes

// The five most similar won deals: their notes' score against the best (0…1), plus the same
// category (0.3), the same customer segment (0.15) and a similar amount (up to 0.15).
std::vector<std::pair<double, int64_t>> RankDeals(const std::map<int64_t, repo::DealRow>& info, const DealMatches& deals, double top,
                                                  const std::string& category, const std::string& segment, double amount, Reasons* why) {
  std::vector<std::pair<double, int64_t>> ranked;
  for (const auto& [id, i] : info) {
    double s = top > 0 ? deals.at(id).first / top : 0;
    auto& [zh, en] = (*why)[id];
    zh.push_back("纪要内容相近");
    en.push_back("similar notes");
    if (!category.empty() && i.product_category == category) {
      s += 0.3;
      zh.push_back("同品类 " + category);
      en.push_back("same category " + category);
    }
    if (!segment.empty() && i.segment == segment) {
      s += 0.15;
      zh.push_back("同客户分层");
      en.push_back("same customer segment");
    }
    double other = static_cast<double>(i.amount) / 100.0;
    if (amount > 0 && other > 0) {
      double ratio = std::min(amount, other) / std::max(amount, other);
      s += 0.15 * ratio;
      if (ratio > 0.6) {
        zh.push_back("金额相近");
        en.push_back("similar amount");
      }
    }
    ranked.push_back({s, id});
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  if (ranked.size() > 5) ranked.resize(5);
  return ranked;
}

// Hints: for each objection the deal shows, what was said in won deals and the playbooks
// (won deals of `opportunity_id` itself and of deals `scope` does not see left out).
std::vector<Hint> Hints(const TextService::Impl::Kb& k, const TenantText& t, const std::vector<std::string>& words,
           const std::vector<std::string>& intents, int64_t opportunity_id, DealScope& scope) {
  std::vector<Hint> hints;
  for (const auto& code : intents) {
    if (code == "purchase_intent") continue;
    const IntentDef* d = FindIntent(t.intents, code);
    std::vector<std::string> iw = words;
    for (const auto& term : d->terms) iw.push_back(term);
    auto s2 = k.Score(iw);
    std::vector<std::pair<double, uint32_t>> cand;
    for (const auto& [doc, sc] : s2) {
      const auto& kd = k.docs[doc];
      if (kd.kind == "won_deal_note" && kd.opportunity_id == opportunity_id) continue;
      if (kd.kind != "won_deal_note" && kd.kind != "playbook" && kd.kind != "faq" && kd.kind != "case") continue;
      cand.push_back({sc, doc});
    }
    std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    // Only notes of deals the caller may open are quoted (at most kMaxScopeChecks looked up).
    size_t checked = 0;
    std::vector<std::pair<double, uint32_t>> allowed;
    for (const auto& c : cand) {
      const auto& kd = k.docs[c.second];
      if (kd.opportunity_id && (checked++ >= kMaxScopeChecks || !scope.Visible(kd.opportunity_id))) continue;
      allowed.push_back(c);
      if (allowed.size() >= 50) break;
    }
    cand.swap(allowed);
    std::set<std::string> said;
    std::set<std::string> term_set(d->terms.begin(), d->terms.end());
    for (const auto& [sc, doc] : cand) {
      if (said.size() >= 3) break;
      const auto& kd = k.docs[doc];
      std::string snip = Snippet(kd.body, term_set, k.terms, 100);
      if (snip.empty() || !said.insert(snip).second) continue;
      Source src{.kind = kd.kind, .title = kd.title};
      if (kd.kind == "won_deal_note") {
        src.opportunity_id = kd.opportunity_id;
        src.activity_id = kd.id;
      } else {
        src.document_id = kd.id;
      }
      hints.push_back({code, d->zh, d->en, snip, src});
    }
  }
  return hints;
}

}  // namespace

Result<SearchResult> TextService::Search(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  for (const auto& [k, v] : query) {
    if (k != "q" && k != "product_line" && k != "segment" && k != "kind" && k != "limit") {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  std::string q = ParamOf(query, "q");
  if (q.empty()) return Bad("validation.required", "q is required", "q 为必填项", "q");
  KEEL_RETURN_IF_ERROR(CheckText(q, "q", 500));
  int limit = 10;
  if (std::string l = ParamOf(query, "limit"); !l.empty()) {
    char* end = nullptr;
    long x = std::strtol(l.c_str(), &end, 10);
    if (*end || x < 1 || x > 50) return Bad("validation.parameter", "limit is 1 to 50", "limit 应为 1 到 50", "limit");
    limit = static_cast<int>(x);
  }
  std::string kind = ParamOf(query, "kind"), pl = ParamOf(query, "product_line"), seg = ParamOf(query, "segment");
  if (!kind.empty() && std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end()) {
    return Bad("validation.parameter", "kind must be one of: playbook, faq, case, won_deal_note, product, policy",
               "kind 只能取：playbook、faq、case、won_deal_note、product、policy", "kind");
  }
  KEEL_ASSIGN_OR_RETURN(auto k, impl_->KbOf(p.tenant_id));
  auto words = QueryWords(q, k->terms);
  auto scores = k->Score(words);
  std::vector<std::pair<double, uint32_t>> ranked;
  for (const auto& [d, s] : scores) {
    const auto& doc = k->docs[d];
    if (!kind.empty() && doc.kind != kind) continue;
    if (!pl.empty() && doc.product_line != pl) continue;
    if (!seg.empty() && doc.segment != seg) continue;
    ranked.push_back({s, d});
  }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::set<std::string> ws(words.begin(), words.end());
  std::vector<SearchHit> hits;
  // Notes of deals the caller cannot open are left out (docs/text.md): their total is not counted.
  DealScope scope(p, impl_->records);
  size_t checked = 0;
  for (size_t i = 0; i < ranked.size() && static_cast<int>(hits.size()) < limit; ++i) {
    const auto& doc = k->docs[ranked[i].second];
    if (doc.opportunity_id) {
      // Past the cap, a deal's note is treated as out of scope: leaving out is the safe side.
      bool visible = checked < kMaxScopeChecks && scope.Visible(doc.opportunity_id);
      ++checked;
      if (!visible) continue;
    }
    SearchHit h{.kind = doc.kind, .title = doc.title, .snippet = Snippet(doc.body, ws, k->terms),
                .score = std::round(ranked[i].first * 1000) / 1000, .product_line = doc.product_line, .segment = doc.segment};
    if (doc.kind == "won_deal_note") {
      h.activity_id = doc.id;
      h.opportunity_id = doc.opportunity_id;
    } else {
      h.document_id = doc.id;
      if (doc.opportunity_id) h.opportunity_id = doc.opportunity_id;
    }
    hits.push_back(std::move(h));
  }
  size_t total = ranked.size();
  if (!domain::SeesWholeTenant(p.role) && !p.is_system()) {
    // What the caller can see: every shared document that matches, and the deal notes shown.
    total = static_cast<size_t>(std::count_if(ranked.begin(), ranked.end(), [&](const auto& r) { return k->docs[r.second].opportunity_id == 0; }));
    total += static_cast<size_t>(std::count_if(hits.begin(), hits.end(), [](const SearchHit& h) { return h.opportunity_id.has_value(); }));
  }
  return SearchResult{q, words, static_cast<int64_t>(total), std::move(hits)};
}

// ---- Talk tracks ----

Result<TalkTracksView> TextService::TalkTracks(const Principal& p, int64_t opportunity_id) {
  KEEL_ASSIGN_OR_RETURN(json opp, impl_->records.Get(p, *domain::FindEntity("opportunities"), opportunity_id));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(auto k, impl_->KbOf(p.tenant_id));
  std::string notes;
  std::string segment;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::DealNote> latest, repo::DealNotes(*conn, p.tenant_id, opportunity_id, 10));
    for (const auto& n : latest) notes += n.notes + "\n";
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> seg, repo::CustomerSegment(*conn, p.tenant_id, opp["customer_id"].get<int64_t>()));
    segment = seg.value_or("");
  }
  std::string category = opp["product_category"].is_string() ? opp["product_category"].get<std::string>() : "";
  std::string leaf = category.substr(category.rfind('/') == std::string::npos ? 0 : category.rfind('/') + 1);
  std::string query = opp.value("name", "") + " " + leaf + " " + notes;
  auto words = QueryWords(query, k->terms);
  auto scores = k->Score(words);
  // Won deals: the best matching note of each, plus what the deals have in common.
  DealMatches deals;
  double top = 0;
  for (const auto& [d, s] : scores) {
    const auto& doc = k->docs[d];
    if (doc.kind != "won_deal_note" || doc.opportunity_id == opportunity_id) continue;
    auto& e = deals[doc.opportunity_id];
    e.first = std::max(e.first, s);
    e.second.push_back(d);
    top = std::max(top, s);
  }
  std::map<int64_t, repo::DealRow> info;
  if (!deals.empty()) {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    std::vector<std::pair<double, int64_t>> pre;
    for (const auto& [id, e] : deals) pre.push_back({e.first, id});
    std::sort(pre.rbegin(), pre.rend());
    if (pre.size() > 200) pre.resize(200);
    std::vector<int64_t> ids;
    for (const auto& [s, id] : pre) ids.push_back(id);
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::DealRow> rows, repo::Deals(*conn, p.tenant_id, ids));
    for (auto& d : rows) info[d.id] = std::move(d);
  }
  double amount = opp["amount"].is_number() ? opp["amount"].get<double>() : 0;
  Reasons why;
  std::vector<std::pair<double, int64_t>> ranked = RankDeals(info, deals, top, category, segment, amount, &why);
  CorpusStats stats;
  {
    std::lock_guard lock(t->mu);
    stats = t->stats;
  }
  // Similar won deals the caller cannot open are anonymised (docs/text.md): what makes them
  // similar — category, segment, an amount band and the reasons — but no id, name, date, notes or
  // phrases from their notes; their notes feed neither the phrases nor the hints below.
  DealScope scope(p, impl_->records);
  TalkTracksView out;
  out.opportunity_id = opportunity_id;
  std::vector<std::vector<Token>> won_docs;
  for (const auto& [s, id] : ranked) {
    const repo::DealRow& d = info.at(id);
    SimilarDeal e{.similarity = std::round(s * 1000) / 1000, .reasons_zh = why[id].first, .reasons_en = why[id].second,
                  .product_category = d.product_category, .segment = d.segment};
    if (!scope.Visible(id)) {
      double a = static_cast<double>(d.amount) / 100.0;
      double band = a <= 0 ? 0 : std::pow(10.0, std::floor(std::log10(a)));
      e.anonymised = true;
      if (band > 0) e.amount_band = std::make_pair(band, band * 10);
      out.similar_won_deals.push_back(std::move(e));
      continue;
    }
    std::vector<std::vector<Token>> docs;
    for (uint32_t doc : deals[id].second) docs.push_back(Segment(k->docs[doc].body, k->terms));
    won_docs.insert(won_docs.end(), docs.begin(), docs.end());
    e.opportunity_id = id;
    e.name = d.name;
    e.amount = static_cast<double>(d.amount) / 100.0;
    e.closed_at = d.closed_at;
    e.key_phrases = KeyPhrases(docs, stats, k->terms, 4);
    out.similar_won_deals.push_back(std::move(e));
  }
  // Hints: for each objection this deal shows, what was said in won deals and the playbooks.
  auto tokens = Segment(notes, t->terms);
  auto intents = RuleIntents(t->intents, tokens, Normalize(notes));
  out.hints = Hints(*k, *t, words, intents, opportunity_id, scope);
  out.detected_intents = impl_->Intents(*t, intents);
  out.phrases_in_won_deals = KeyPhrases(won_docs, stats, k->terms, 8);
  return out;
}

// ---- Drafting through an OpenAI-compatible endpoint ----

Result<Draft> TextService::DraftFollowUp(const Principal& p, int64_t opportunity_id, const DraftCommand& cmd) {
  KEEL_RETURN_IF_ERROR(Authorize(p, Change::kDraftFollowUp));
  KEEL_ASSIGN_OR_RETURN(json opp, impl_->records.Get(p, *domain::FindEntity("opportunities"), opportunity_id));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  if (!t->llm.is_object() || t->llm.value("url", "").empty()) {
    return Status::Error(ErrorKind::kConflict, "text.llm_not_configured",
                         "no generative endpoint is configured; an admin may set llm {url, model, api_key} in PUT /text/settings",
                         "尚未配置生成式接口；管理员可在 PUT /text/settings 中设置 llm {url, model, api_key}", "llm");
  }
  std::string lang = cmd.lang.value_or(p.locale.rfind("en", 0) == 0 ? "en" : "zh");
  if (lang != "zh" && lang != "en") return Bad("validation.enum", "lang is zh or en", "lang 取值 zh 或 en", "lang");
  std::string extra = cmd.instructions.value_or("");
  if (cmd.instructions) KEEL_RETURN_IF_ERROR(CheckText(extra, "instructions", 2000));
  KEEL_ASSIGN_OR_RETURN(TalkTracksView tracks, TalkTracks(p, opportunity_id));
  std::string notes;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::DealNote> latest, repo::DealNotes(*conn, p.tenant_id, opportunity_id, 5));
    for (const auto& n : latest) notes += "- " + n.occurred_at.substr(0, 10) + " " + n.kind + ": " + n.notes + "\n";
  }
  // The context, each piece numbered so the draft can be traced to its sources.
  std::vector<Source> sources;
  std::string context;
  int n = 0;
  for (const auto& h : tracks.hints) {
    if (n >= 6) break;
    sources.push_back(h.source);
    context += "[" + std::to_string(++n) + "] " + h.text + "\n";
  }
  for (const auto& s : tracks.similar_won_deals) {
    if (n >= 8) break;
    if (s.anonymised) continue;  // a deal the caller cannot open is no source
    sources.push_back(Source{.kind = "won_deal", .title = s.name, .opportunity_id = s.opportunity_id});
    std::string phrases;
    for (const auto& kp : s.key_phrases) phrases += kp.text + " ";
    context += "[" + std::to_string(++n) + "] won deal " + s.name + ": " + phrases + "\n";
  }
  std::string system = lang == "zh" ? "你是家电企业的销售助理。根据给出的商机信息、最近的拜访纪要和参考资料，为销售起草一条发给客户的跟进消息。"
                                      "语气专业、简洁、真诚；只使用给出的事实，不要编造价格或承诺；在用到参考资料处标注编号如[1]。"
                                    : "You are a sales assistant at a home-appliance maker. From the deal, the latest visit notes and the "
                                      "references given, draft a follow-up message from the seller to the customer. Professional, brief and "
                                      "sincere; use only the facts given, invent no prices or promises; cite references as [1].";
  std::string user = "Deal: " + opp.value("name", "") + "; stage " + opp.value("stage", "") + "; amount " +
                     std::to_string(opp["amount"].is_number() ? opp["amount"].get<double>() : 0.0) + "; category " +
                     (opp["product_category"].is_string() ? opp["product_category"].get<std::string>() : std::string("-")) +
                     "\nLatest notes:\n" + (notes.empty() ? "(none)\n" : notes) + "References:\n" + (context.empty() ? "(none)\n" : context) +
                     (extra.empty() ? "" : "Seller's instructions: " + extra + "\n");
  json req = {{"model", t->llm.value("model", "")},
              {"messages", {{{"role", "system"}, {"content", system}}, {{"role", "user"}, {"content", user}}}},
              {"temperature", 0.3}};
  std::string url = t->llm.value("url", "");
  if (!url.empty() && url.back() == '/') url.pop_back();
  url += "/chat/completions";
  // The key is opened only here, for this request, and goes only to the URL it was entered
  // for (a new URL clears it, see SaveSettings); the URL passes the outbound policy again.
  KEEL_ASSIGN_OR_RETURN(std::string api_key, impl_->box->Open(t->llm.value("api_key", "")));
  outbound::Request call;
  call.url = url;
  call.body = req.dump(-1, ' ', false, json::error_handler_t::replace);
  call.headers.emplace_back("Content-Type", "application/json");
  if (!api_key.empty()) call.headers.emplace_back("Authorization", "Bearer " + api_key);
  call.timeout_ms = impl_->opt.llm_timeout_ms;
  call.max_reply_bytes = 1u << 20;
  call.user_agent = "keel-text/1";
  outbound::Reply reply = outbound::Post(*impl_->policy, call);
  auto failed = [&](const std::string& en, const std::string& zh) {
    return Status::Error(ErrorKind::kUnprocessable, "text.llm_failed", "the generative endpoint did not give a draft: " + en,
                         "生成式接口未返回草稿：" + zh, "llm");
  };
  if (reply.failure != outbound::Reply::Failure::kNone) return failed(reply.error, reply.error_zh);
  if (reply.truncated) return failed("the reply is longer than 1 MiB", "回复超过 1 MiB");
  const int status = reply.http_status;
  if (status < 200 || status >= 300) return failed("HTTP " + std::to_string(status), "HTTP " + std::to_string(status));
  json r = json::parse(reply.body, nullptr, false);
  if (!r.is_object() || !r.contains("choices") || !r["choices"].is_array() || r["choices"].empty() || !r["choices"][0].is_object() ||
      !r["choices"][0].contains("message") || !r["choices"][0]["message"].is_object() ||
      !r["choices"][0]["message"].contains("content") || !r["choices"][0]["message"]["content"].is_string()) {
    return failed("the reply is not an OpenAI-style chat completion", "回复不是 OpenAI 格式的对话补全");
  }
  std::string model = r.contains("model") && r["model"].is_string() ? r["model"].get<std::string>() : t->llm.value("model", "");
  return Draft{opportunity_id, r["choices"][0]["message"]["content"].get<std::string>(), model, lang, std::move(sources), n};
}

}  // namespace keel::text
