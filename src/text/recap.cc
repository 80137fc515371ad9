// The daily AI recap (AI复盘): grouping by intent, quotes, the sentiment trend, follow-ups;
// delivery to webhooks; the daily run per unit and supervisor.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "alerts/notify.h"
#include "events/lease.h"
#include "text/internal.h"
#include "store/tenant_scope.h"

namespace keel::text {
namespace {

std::string Value1(const std::vector<std::pair<std::string, std::string>>& q, const std::string& k) {
  for (const auto& [n, v] : q) {
    if (n == k) return v;
  }
  return {};
}

// The order problems are listed in: what needs action first.
int Priority(const std::string& code) {
  static const std::map<std::string, int> k = {{"complaint", 0}, {"stock_out", 1}, {"price_objection", 2}, {"competitor", 3},
                                                {"payment", 4},   {"display", 5},   {"purchase_intent", 7}, {"other", 9}};
  auto it = k.find(code);
  return it == k.end() ? 6 : it->second;
}

// What a recap is made of: the scope's notes of the day and of the week before, their analyses,
// and the names of the people, customers and stores they mention.
struct RecapNotes {
  std::string name, name_en;
  int64_t unit = 0;  // the unit the recap belongs to (a team's: its supervisor's unit; 0: none)
  std::vector<TextRow> today, week;
  std::map<int64_t, json> analyses;  // activity id → {sentiment, intents}
  std::map<int64_t, std::string> reps, customers, stores;
};

// Notes of a scope and day: every activity with notes of the unit subtree (or the supervisor's
// team) that happened that local day, each analysed (analysing the ones not seen yet).
Result<RecapNotes> GatherNotes(TextService::Impl& impl, const TenantText& t, int64_t tenant, const std::string& scope, int64_t scope_id,
                               const std::string& day) {
  KEEL_ASSIGN_OR_RETURN(auto range, DayRange(*t.zone, day));
  RecapNotes n;
  repo::TextFilter filter;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl.db.Acquire());
    if (scope == "unit") {
      KEEL_ASSIGN_OR_RETURN(std::optional<repo::UnitRow> u, repo::LoadUnit(*conn, tenant, scope_id));
      if (!u) return Status::NotFound("unit");
      n.name = u->name;
      n.name_en = u->name_en;
      filter.unit_path = u->path;
      n.unit = scope_id;
    } else {
      KEEL_ASSIGN_OR_RETURN(std::optional<repo::UserRow> u, repo::LoadUser(*conn, tenant, scope_id));
      if (!u) return Status::NotFound("user");
      n.name = u->display_name + " 团队";
      n.name_en = u->display_name + "'s team";
      filter.team_of = scope_id;
      n.unit = u->unit_id.value_or(0);
    }
  }
  auto fetch = [&](TimeMs from, TimeMs to) -> Result<std::vector<TextRow>> {
    repo::TextFilter f = filter;
    f.from = FormatTimestamp(from);
    f.to = FormatTimestamp(to);
    return impl.LoadRows(tenant, "activities", f);
  };
  KEEL_ASSIGN_OR_RETURN(n.today, fetch(range.first, range.second));
  KEEL_ASSIGN_OR_RETURN(n.week, fetch(range.first - 7 * kDayMs, range.first));
  // Analyse what has not been analysed yet, then read every analysis back.
  auto load = [&](const std::vector<TextRow>& rows, bool analyse_missing) -> Status {
    std::vector<TextRow> missing;
    {
      KEEL_ASSIGN_OR_RETURN(auto conn, impl.db.Acquire());
      std::vector<int64_t> ids;
      for (const auto& r : rows) ids.push_back(r.id);
      KEEL_ASSIGN_OR_RETURN(std::vector<repo::NoteSentiment> found, repo::NoteSentiments(*conn, tenant, ids));
      for (const auto& a : found) {
        n.analyses[a.record_id] = {{"sentiment", a.sentiment}, {"intents", json::parse(a.intents, nullptr, false)}};
      }
      for (const auto& r : rows) {
        if (!n.analyses.count(r.id)) missing.push_back(r);
      }
    }
    if (missing.empty() || !analyse_missing) return Status();
    // Not counted in the corpus statistics here: the worker counts each note once, on its event.
    return impl.AnalyseRows(tenant, "activities", missing, false);
  };
  KEEL_RETURN_IF_ERROR(load(n.today, true));
  KEEL_RETURN_IF_ERROR(load(n.week, true));
  KEEL_RETURN_IF_ERROR(load(n.today, false));
  KEEL_RETURN_IF_ERROR(load(n.week, false));
  // Names of the people, customers and stores involved.
  KEEL_ASSIGN_OR_RETURN(auto conn, impl.db.Acquire());
  std::set<int64_t> rs, cs, ss;
  for (const auto& r : n.today) {
    if (r.owner) rs.insert(r.owner);
    if (r.customer) cs.insert(r.customer);
    if (r.store) ss.insert(r.store);
  }
  auto list = [](const std::set<int64_t>& ids) { return std::vector<int64_t>(ids.begin(), ids.end()); };
  KEEL_ASSIGN_OR_RETURN(n.reps, repo::Names(*conn, tenant, repo::Named::kUser, list(rs)));
  KEEL_ASSIGN_OR_RETURN(n.customers, repo::Names(*conn, tenant, repo::Named::kCustomer, list(cs)));
  KEEL_ASSIGN_OR_RETURN(n.stores, repo::Names(*conn, tenant, repo::Named::kStore, list(ss)));
  return n;
}

// At most 90 characters of a note: 88 and an ellipsis.
std::string Shortened(std::string q) {
  if (CodePoints(q) <= 90) return q;
  size_t cut = 0, n = 0;
  while (cut < q.size() && n < 88) {
    cut += (static_cast<unsigned char>(q[cut]) >= 0xF0) ? 4 : (static_cast<unsigned char>(q[cut]) >= 0xE0) ? 3
           : (static_cast<unsigned char>(q[cut]) >= 0xC0)                                                  ? 2 : 1;
    ++n;
  }
  return q.substr(0, cut) + "…";
}

// Representative quotes of a group: the notes that carry most of the group's top phrases,
// strongest feeling first.
json Quotes(RecapNotes& n, const std::vector<const TextRow*>& rows, const std::vector<KeyPhrase>& phrases) {
  std::vector<std::pair<double, const TextRow*>> ranked;
  for (size_t i = 0; i < rows.size(); ++i) {
    double s = 0;
    for (const auto& kp : phrases) {
      if (Normalize(rows[i]->text).find(kp.text) != std::string::npos) s += kp.score;
    }
    s += std::fabs(n.analyses[rows[i]->id].value("sentiment", 0.0)) * 0.5;
    ranked.push_back({s, rows[i]});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  json quotes = json::array();
  std::set<std::string> quoted;
  for (const auto& [s, r] : ranked) {
    if (quotes.size() >= 3) break;
    if (!quoted.insert(r->text).second) continue;  // the same words from two notes: one quote
    quotes.push_back({{"activity_id", r->id}, {"text", Shortened(r->text)},
                      {"rep", n.reps.count(r->owner) ? json(n.reps[r->owner]) : json(nullptr)},
                      {"customer", n.customers.count(r->customer) ? json(n.customers[r->customer]) : json(nullptr)},
                      {"store", n.stores.count(r->store) ? json(n.stores[r->store]) : json(nullptr)}});
  }
  return quotes;
}

// One problem of the recap: the notes of one intent, with their key phrases, quotes and whom they concern.
json Problem(RecapNotes& n, const TenantText& t, const CorpusStats& stats, const std::string& code, const std::vector<const TextRow*>& rows,
             std::vector<KeyPhrase>* phrases) {
  const IntentDef* d = FindIntent(t.intents, code);
  std::vector<std::vector<Token>> docs;
  for (const auto* r : rows) docs.push_back(Segment(r->text, t.terms));
  *phrases = KeyPhrases(docs, stats, t.terms, 5);
  json quotes = Quotes(n, rows, *phrases);
  std::set<int64_t> cs, ss;
  double sum = 0;
  for (const auto* r : rows) {
    if (r->customer) cs.insert(r->customer);
    if (r->store) ss.insert(r->store);
    sum += n.analyses[r->id].value("sentiment", 0.0);
  }
  json affected_c = json::array(), affected_s = json::array();
  for (int64_t c : cs) {
    if (affected_c.size() < 10) affected_c.push_back({{"id", c}, {"name", n.customers[c]}});
  }
  for (int64_t s : ss) {
    if (affected_s.size() < 10) affected_s.push_back({{"id", s}, {"name", n.stores[s]}});
  }
  return {{"intent", code}, {"title_zh", d ? d->zh : "其他"}, {"title_en", d ? d->en : "other"}, {"count", rows.size()},
          {"customers", cs.size()}, {"stores", ss.size()}, {"affected_customers", affected_c},
          {"affected_stores", affected_s}, {"key_phrases", PhrasesJson(*phrases)}, {"quotes", quotes},
          {"sentiment", std::round(sum / static_cast<double>(rows.size()) * 1000) / 1000},
          {"follow_up_zh", d ? d->follow_up_zh : ""}, {"follow_up_en", d ? d->follow_up_en : ""}};
}

// Today's notes grouped by intent, what needs action first; the first four such problems also
// go into the summary lines.
json Problems(RecapNotes& n, const TenantText& t, const CorpusStats& stats, std::string* lines_zh, std::string* lines_en) {
  std::map<std::string, std::vector<const TextRow*>> groups;
  for (const auto& r : n.today) {
    const json& a = n.analyses[r.id];
    json intents = a.contains("intents") && a["intents"].is_array() ? a["intents"] : json::array({"other"});
    for (const auto& code : intents) groups[code.get<std::string>()].push_back(&r);
  }
  std::vector<std::pair<std::string, std::vector<const TextRow*>>> ordered(groups.begin(), groups.end());
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    bool a_act = Priority(a.first) < 7, b_act = Priority(b.first) < 7;
    if (a_act != b_act) return a_act;
    if (a.second.size() != b.second.size()) return a.second.size() > b.second.size();
    return Priority(a.first) < Priority(b.first);
  });
  json problems = json::array();
  for (const auto& [code, rows] : ordered) {
    std::vector<KeyPhrase> phrases;
    problems.push_back(Problem(n, t, stats, code, rows, &phrases));
    if (Priority(code) < 7 && problems.size() <= 4) {
      const json& p = problems.back();
      std::string zh = p["title_zh"].get<std::string>(), en = p["title_en"].get<std::string>();
      std::string top = phrases.empty() ? "" : phrases[0].text;
      *lines_zh += (lines_zh->empty() ? "" : "；") + zh + " " + std::to_string(rows.size()) + " 条" + (top.empty() ? "" : "（" + top + "）");
      *lines_en += (lines_en->empty() ? "" : "; ") + en + " " + std::to_string(rows.size()) + (top.empty() ? "" : " (" + top + ")");
    }
  }
  return problems;
}

// The recap document: counts, the sentiment against last week, key phrases, problems and a summary in both languages.
json RecapContent(RecapNotes& n, TenantText& t, const std::string& scope, int64_t scope_id, const std::string& day, TimeMs now) {
  double today_sum = 0, week_sum = 0;
  int week_n = 0;
  std::vector<std::vector<Token>> all_tokens;
  for (const auto& r : n.today) {
    today_sum += n.analyses[r.id].value("sentiment", 0.0);
    all_tokens.push_back(Segment(r.text, t.terms));
  }
  for (const auto& r : n.week) {
    if (n.analyses.count(r.id)) {
      week_sum += n.analyses[r.id].value("sentiment", 0.0);
      ++week_n;
    }
  }
  CorpusStats stats;
  {
    std::lock_guard lock(t.mu);
    stats = t.stats;
  }
  std::string lines_zh, lines_en;
  json problems = Problems(n, t, stats, &lines_zh, &lines_en);
  const auto& today = n.today;
  double today_mean = today.empty() ? 0 : today_sum / static_cast<double>(today.size());
  double week_mean = week_n ? week_sum / week_n : 0;
  double change = today.empty() || !week_n ? 0 : today_mean - week_mean;
  std::string trend = change < -0.05 ? "down" : change > 0.05 ? "up" : "flat";
  std::set<int64_t> rep_ids, cust_ids;
  for (const auto& r : today) {
    if (r.owner) rep_ids.insert(r.owner);
    if (r.customer) cust_ids.insert(r.customer);
  }
  auto day_phrases = KeyPhrases(all_tokens, stats, t.terms, 8);
  std::string summary_zh = n.name + " " + day + "：" + std::to_string(today.size()) + " 条拜访/沟通纪要，" + std::to_string(rep_ids.size()) +
                           " 位销售，" + std::to_string(cust_ids.size()) + " 个客户。";
  std::string summary_en = n.name_en + " on " + day + ": " + std::to_string(today.size()) + " notes by " + std::to_string(rep_ids.size()) +
                           " sellers about " + std::to_string(cust_ids.size()) + " customers.";
  if (!lines_zh.empty()) {
    summary_zh += "主要问题：" + lines_zh + "。";
    summary_en += " Key problems: " + lines_en + ".";
  }
  if (week_n && !today.empty()) {
    char mag[16];
    std::snprintf(mag, sizeof mag, "%.2f", std::fabs(change));
    summary_zh += std::string("客户情绪较上周") + (trend == "down" ? "下降 " : trend == "up" ? "上升 " : "基本持平") +
                  (trend == "flat" ? "" : mag) + "。";
    summary_en += std::string(" Sentiment ") + (trend == "down" ? "fell " : trend == "up" ? "rose " : "held steady ") +
                  (trend == "flat" ? "" : std::string(mag) + " ") + "against last week.";
  }
  if (today.empty()) {
    summary_zh = n.name + " " + day + "：当天没有拜访纪要。";
    summary_en = n.name_en + " on " + day + ": no notes that day.";
  }
  return {{"scope", scope}, {"scope_id", scope_id}, {"name", n.name}, {"name_en", n.name_en}, {"day", day},
          {"notes", today.size()}, {"reps", rep_ids.size()}, {"customers", cust_ids.size()},
          {"sentiment", {{"today", std::round(today_mean * 1000) / 1000}, {"last_week", std::round(week_mean * 1000) / 1000},
                         {"change", std::round(change * 1000) / 1000}, {"trend", trend}, {"last_week_notes", week_n}}},
          {"key_phrases", PhrasesJson(day_phrases)}, {"problems", problems},
          {"summary_zh", summary_zh}, {"summary_en", summary_en}, {"generated_at", FormatTimestamp(now)}};
}

}  // namespace

Result<json> TextService::MakeRecap(int64_t tenant, const std::string& scope, int64_t scope_id, const std::string& day) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(tenant));
  KEEL_ASSIGN_OR_RETURN(RecapNotes notes, GatherNotes(*impl_, *t, tenant, scope, scope_id, day));
  json content = RecapContent(notes, *t, scope, scope_id, day, impl_->clock.NowMs());
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  // One recap per scope and day: made again, it replaces the earlier one (an upsert, so the worker
  // and an on-demand request racing each other both succeed).
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  repo::RecapRow row{.id = ids[0], .scope = scope, .scope_id = scope_id, .unit_id = notes.unit, .day = day, .content = content.dump()};
  KEEL_ASSIGN_OR_RETURN(int64_t id, repo::UpsertRecap(*conn, tenant, row, FormatTimestamp(impl_->clock.NowMs())));
  KEEL_RETURN_IF_ERROR(tx.Commit());
  impl_->recaps.fetch_add(1);
  content["id"] = id;
  return content;
}

namespace {

json ForReader(json content, const std::string& lang) {
  bool en = lang == "en";
  content["summary"] = en ? content["summary_en"] : content["summary_zh"];
  for (auto& p : content["problems"]) {
    p["title"] = en ? p["title_en"] : p["title_zh"];
    p["follow_up"] = en ? p["follow_up_en"] : p["follow_up_zh"];
  }
  content["lang"] = en ? "en" : "zh";
  return content;
}

}  // namespace

Result<json> TextService::Recap(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  for (const auto& [k, v] : query) {
    if (k != "unit_id" && k != "supervisor_id" && k != "date" && k != "lang") {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  if (p.role == domain::Role::kRep) {
    return Status::Error(ErrorKind::kForbidden, "forbidden", "daily recaps are for supervisors, unit leads and HQ",
                         "每日复盘面向主管、战队负责人和总部");
  }
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  std::string day = Value1(query, "date");
  if (day.empty()) day = FormatDate(t->zone->ToLocal(impl_->clock.NowMs()) / kDayMs);
  if (!ParseDate(day).ok()) return Bad("validation.parameter", "date must be YYYY-MM-DD", "date 应为 YYYY-MM-DD", "date");
  std::string lang = Value1(query, "lang");
  if (lang.empty()) lang = p.locale.rfind("en", 0) == 0 ? "en" : "zh";
  if (lang != "zh" && lang != "en") return Bad("validation.parameter", "lang is zh or en", "lang 取值 zh 或 en", "lang");
  std::string scope = "unit";
  int64_t id = 0;
  auto parse_id = [&](const std::string& k) -> Result<int64_t> {
    std::string v = Value1(query, k);
    char* end = nullptr;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || x <= 0) return Bad("validation.parameter", k + " must be a positive id", k + " 应为正整数 ID", k);
    return static_cast<int64_t>(x);
  };
{
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  if (!Value1(query, "supervisor_id").empty()) {
    scope = "team";
    KEEL_ASSIGN_OR_RETURN(id, parse_id("supervisor_id"));
  } else if (!Value1(query, "unit_id").empty()) {
    KEEL_ASSIGN_OR_RETURN(id, parse_id("unit_id"));
  } else if (p.role == domain::Role::kSupervisor) {
    scope = "team";
    id = p.user_id;
  } else {
    KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> own, repo::UnitIdByPath(*conn, p.tenant_id, p.unit_path));
    if (!own) return Status::NotFound("unit");
    id = *own;
  }
  // Who may read it: a unit within the caller's part of the tree; a team that is the caller's or
  // whose supervisor is in it.
  bool whole = p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps || p.role == domain::Role::kAnalyst ||
               p.role == domain::Role::kAuditor || p.is_system();
  if (!whole) {
    if (scope == "unit") {
      KEEL_ASSIGN_OR_RETURN(std::optional<repo::UnitRow> u, repo::LoadUnit(*conn, p.tenant_id, id));
      if (!u || u->path.rfind(p.unit_path, 0) != 0 ||
          p.role == domain::Role::kRep || p.role == domain::Role::kSupervisor) {
        return Status::NotFound("unit");
      }
    } else {
      KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, repo::UserUnitPath(*conn, p.tenant_id, id));
      bool ok = path.has_value();
      if (ok && p.role == domain::Role::kUnitLead) ok = path->rfind(p.unit_path, 0) == 0;
      // A supervisor reads their own team's recap; quotes from other teams' notes are not theirs to read.
      if (ok && p.role == domain::Role::kSupervisor) ok = id == p.user_id;
      if (!ok) return Status::NotFound("supervisor");
    }
  }
}
  KEEL_ASSIGN_OR_RETURN(json content, MakeRecap(p.tenant_id, scope, id, day));
  return ForReader(std::move(content), lang);
}

Result<std::vector<json>> TextService::MyRecaps(const Principal& p, const std::string& lang_in) {
  std::string lang = lang_in.empty() ? (p.locale.rfind("en", 0) == 0 ? "en" : "zh") : lang_in;
  if (lang != "zh" && lang != "en") return Bad("validation.parameter", "lang is zh or en", "lang 取值 zh 或 en", "lang");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  bool whole = p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps || p.role == domain::Role::kAnalyst ||
               p.role == domain::Role::kAuditor || p.is_system();
  std::optional<std::string> unit_path;
  std::optional<int64_t> team_of;
  if (!whole) {
    if (p.role == domain::Role::kUnitLead) unit_path = p.unit_path;
    else team_of = p.user_id;
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<repo::RecapRow> recaps, repo::Recaps(*conn, p.tenant_id, unit_path, team_of));
  std::vector<json> items;
  items.reserve(recaps.size());
  for (const auto& row : recaps) {
    json c = ForReader(json::parse(row.content), lang);
    c["id"] = row.id;
    c["delivered"] = row.delivered ? json::parse(*row.delivered, nullptr, false) : json::array();
    items.push_back(std::move(c));
  }
  return items;
}

Status TextService::Impl::DeliverRecap(int64_t tenant, int64_t recap_id, int64_t unit, const json& content) {
  std::vector<std::tuple<int64_t, alerts::WebhookTarget, std::string>> targets;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::RecapWebhookRow> hooks, repo::RecapWebhooks(*conn, tenant, unit));
    for (const auto& w : hooks) {
      // A unit's webhook hears the recaps of its subtree; a tenant-wide one hears them all.
      if (w.unit_id && (!w.recap_unit_path || w.recap_unit_path->rfind(w.unit_path.value_or(""), 0) != 0)) continue;
      auto ch = alerts::ParseChannel(w.channel);
      if (!ch.ok()) continue;
      alerts::WebhookTarget wt;
      wt.channel = *ch;
      // Stored sealed (as the alert engine writes them); opened only to send.
      auto url = box->Open(w.sealed_url);
      auto secret = box->Open(w.sealed_secret);
      if (!url.ok() || !secret.ok()) {
        spdlog::warn("text: webhook {} of tenant {} cannot be decrypted with the configured keys", w.id, tenant);
        continue;
      }
      wt.url = *url;
      wt.secret = *secret;
      targets.push_back({w.id, wt, w.locale});
    }
  }
  json delivered = json::array();
  for (auto& [id, wt, locale] : targets) {
    alerts::Notification n;
    n.severity = "info";
    n.locale = locale;
    n.title_zh = "每日AI复盘 · " + content.value("name", "") + " · " + content.value("day", "");
    n.title_en = "Daily AI recap · " + content.value("name_en", "") + " · " + content.value("day", "");
    n.text_zh = content.value("summary_zh", "");
    n.text_en = content.value("summary_en", "");
    for (const auto& p : content["problems"]) {
      if (Priority(p.value("intent", "")) >= 7) continue;
      n.text_zh += "\n- " + p.value("title_zh", "") + " " + std::to_string(p.value("count", 0)) + " 条：" + p.value("follow_up_zh", "");
      n.text_en += "\n- " + p.value("title_en", "") + " ×" + std::to_string(p.value("count", 0)) + ": " + p.value("follow_up_en", "");
    }
    n.dedup_key = "recap-" + std::to_string(recap_id);
    alerts::RetryPolicy rp;
    rp.max_attempts = 2;
    auto res = alerts::Deliver(wt, n, clock, *policy, rp);
    delivered.push_back({{"webhook_id", id}, {"delivered", res.delivered}, {"http_status", res.http_status}, {"error", res.error}});
  }
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  return repo::SetRecapDelivered(*conn, tenant, recap_id, delivered.dump());
}

// Once a tenant's local day passes its recap hour: a recap for every sales unit and supervisor
// with notes that day (in-app, and to the webhooks); and the sentiment model is retrained when
// rated feedback has grown by a fifth.
void TextService::Impl::Periodic() {
  TimeMs now = clock.NowMs();
  if (now - last_periodic < 60000) return;
  last_periodic = now;
  std::vector<int64_t> ids;
  {
    auto conn = db.Acquire();
    if (!conn.ok()) return;
    auto tenants = repo::ActiveTenants(**conn);
    if (!tenants.ok()) return;
    ids = std::move(*tenants);
  }
  for (int64_t tenant : ids) {
    auto t = Tenant(tenant);
    if (!t.ok()) continue;
    TimeMs local = (*t)->zone->ToLocal(now);
    std::string day = FormatDate(local / kDayMs);
    int hour = static_cast<int>((local % kDayMs) / 3600000);
    if (hour < (*t)->recap_hour) continue;
    store::TenantScope scope(tenant);  // the tenant's recaps see and write only its rows
    Result<std::vector<int64_t>> units = std::vector<int64_t>(), sups = std::vector<int64_t>();
    {
      auto c = db.Acquire();
      if (!c.ok()) return;
      auto done = repo::RecapDay(**c, tenant);
      if (!done.ok() || *done == day) continue;
      // Several nodes: the first to claim the tenant's day makes its recaps (events/lease.h).
      if (events::Leases* leases = events::AttachedLeases(db)) {
        auto mine = leases->Claim(tenant, "text.recap", day);
        if (!mine.ok() || !*mine) continue;
      }
      units = repo::SalesUnits(**c, tenant);
      sups = repo::Supervisors(**c, tenant);
      (void)repo::MarkRecapDay(**c, tenant, day, FormatTimestamp(now));
    }
    if (!units.ok() || !sups.ok()) continue;
    auto make = [&](const std::string& scope, int64_t id) {
      auto r = self->MakeRecap(tenant, scope, id, day);
      if (!r.ok()) {
        spdlog::warn("text: recap {} {} of tenant {}: {}", scope, id, tenant, r.status().ToString());
        return;
      }
      if (scope == "unit" && (*r)["notes"].get<int64_t>() > 0) {
        Status s = DeliverRecap(tenant, (*r)["id"].get<int64_t>(), id, *r);
        if (!s.ok()) spdlog::warn("text: delivering recap: {}", s.ToString());
      }
    };
    for (int64_t id : *units) make("unit", id);
    for (int64_t id : *sups) make("team", id);
    // The sentiment model keeps up with the rated feedback.
    auto trained = self->TrainSentimentFor(tenant);
    if (!trained.ok() && trained.status().code() != "text.not_enough_data" && trained.status().code() != "text.up_to_date") {
      spdlog::warn("text: sentiment model of tenant {}: {}", tenant, trained.status().ToString());
    }
  }
}

Result<int64_t> TextService::RecapsForDay(int64_t tenant, const std::string& day) {
  std::vector<std::pair<std::string, int64_t>> scopes;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> units, repo::SalesUnits(*conn, tenant));
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> sups, repo::Supervisors(*conn, tenant));
    for (int64_t id : units) scopes.push_back({"unit", id});
    for (int64_t id : sups) scopes.push_back({"team", id});
  }
  for (const auto& [scope, id] : scopes) KEEL_RETURN_IF_ERROR(MakeRecap(tenant, scope, id, day).status());
  return static_cast<int64_t>(scopes.size());
}

}  // namespace keel::text
