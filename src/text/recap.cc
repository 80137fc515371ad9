// The daily AI recap (AI复盘), key phrases by scope, settings and the sentiment model.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "alerts/notify.h"
#include "domain/audit.h"
#include "domain/unit_tree.h"
#include "events/event_log.h"
#include "text/internal.h"

namespace keel::text {

using store::Value;

namespace {

constexpr TimeMs kDayMs = 86400000;

// [start, end) in UTC of local day "YYYY-MM-DD".
Result<std::pair<TimeMs, TimeMs>> DayRange(const TimeZone& zone, const std::string& day) {
  KEEL_ASSIGN_OR_RETURN(int64_t d, ParseDate(day));
  TimeMs local = d * kDayMs;
  return std::make_pair(zone.ToUtc(local), zone.ToUtc(local + kDayMs));
}

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

}  // namespace

// Notes of a scope and day: every activity with notes of the unit subtree (or the supervisor's
// team) that happened that local day, each analysed (analysing the ones not seen yet).
Result<json> TextService::MakeRecap(int64_t tenant, const std::string& scope, int64_t scope_id, const std::string& day) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(tenant));
  KEEL_ASSIGN_OR_RETURN(auto range, DayRange(*t->zone, day));
  std::string where, name, name_en;
  std::vector<Value> params;
  int64_t unit = 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    if (scope == "unit") {
      Value q[] = {tenant, scope_id};
      KEEL_ASSIGN_OR_RETURN(store::Rows u, conn->Query("SELECT path, name, COALESCE(name_en, name) FROM units WHERE tenant_id = ? AND id = ?", q));
      if (u.empty()) return Status::NotFound("unit");
      name = store::AsText(u.rows[0][1]);
      name_en = store::AsText(u.rows[0][2]);
      params.clear();
      where = domain::UnitTree::UnitWithin("unit_id", tenant, store::AsText(u.rows[0][0]), params);
      unit = scope_id;
    } else {
      Value q[] = {tenant, scope_id};
      KEEL_ASSIGN_OR_RETURN(store::Rows u, conn->Query("SELECT display_name, unit_id FROM users WHERE tenant_id = ? AND id = ?", q));
      if (u.empty()) return Status::NotFound("user");
      name = store::AsText(u.rows[0][0]) + " 团队";
      name_en = store::AsText(u.rows[0][0]) + "'s team";
      where = " AND owner_id IN (SELECT id FROM users WHERE tenant_id = ? AND (id = ? OR supervisor_id = ?))";
      params = {tenant, scope_id, scope_id};
      unit = store::IsNull(u.rows[0][1]) ? 0 : store::AsInt(u.rows[0][1]);
    }
  }
  auto fetch = [&](TimeMs from, TimeMs to) -> Result<std::vector<TextRow>> {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    std::vector<Value> p = {FormatTimestamp(from), FormatTimestamp(to)};
    p.insert(p.end(), params.begin(), params.end());
    return impl_->LoadRows(*conn, tenant, "activities", " AND occurred_at >= ? AND occurred_at < ?" + where, p);
  };
  KEEL_ASSIGN_OR_RETURN(std::vector<TextRow> today, fetch(range.first, range.second));
  KEEL_ASSIGN_OR_RETURN(std::vector<TextRow> week, fetch(range.first - 7 * kDayMs, range.first));
  // Analyse what has not been analysed yet, then read every analysis back.
  std::map<int64_t, json> analyses;  // activity id → {sentiment, intents, key_phrases}
  auto load = [&](const std::vector<TextRow>& rows, bool analyse_missing) -> Status {
    std::vector<TextRow> missing;
    {
      KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
      for (size_t from = 0; from < rows.size(); from += 400) {
        std::string in = " IN (?";
        std::vector<Value> p = {tenant, rows[from].id};
        for (size_t i = from + 1; i < rows.size() && i < from + 400; ++i) {
          in += ", ?";
          p.emplace_back(rows[i].id);
        }
        KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
            "SELECT record_id, sentiment, intents, key_phrases FROM text_analyses WHERE tenant_id = ? AND entity = 'activities' AND "
            "record_id" + in + ")", p));
        for (const auto& row : r.rows) {
          analyses[store::AsInt(row[0])] = {{"sentiment", store::AsDouble(row[1])},
                                            {"intents", json::parse(store::AsText(row[2]), nullptr, false)}};
        }
      }
      for (const auto& r : rows) {
        if (!analyses.count(r.id)) missing.push_back(r);
      }
    }
    if (missing.empty() || !analyse_missing) return Status();
    // Not counted in the corpus statistics here: the worker counts each note once, on its event.
    KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(tenant, "activities", missing, false));
    return Status();
  };
  KEEL_RETURN_IF_ERROR(load(today, true));
  KEEL_RETURN_IF_ERROR(load(week, true));
  KEEL_RETURN_IF_ERROR(load(today, false));
  KEEL_RETURN_IF_ERROR(load(week, false));
  // Names of the people, customers and stores involved.
  std::map<int64_t, std::string> reps, customers, stores;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    std::set<int64_t> rs, cs, ss;
    for (const auto& r : today) {
      if (r.owner) rs.insert(r.owner);
      if (r.customer) cs.insert(r.customer);
      if (r.store) ss.insert(r.store);
    }
    auto names = [&](const std::string& table, const std::string& col, const std::set<int64_t>& ids, std::map<int64_t, std::string>& out) -> Status {
      std::vector<int64_t> list(ids.begin(), ids.end());
      for (size_t from = 0; from < list.size(); from += 400) {
        std::string in = " IN (?";
        std::vector<Value> p = {tenant, list[from]};
        for (size_t i = from + 1; i < list.size() && i < from + 400; ++i) {
          in += ", ?";
          p.emplace_back(list[i]);
        }
        KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT id, " + col + " FROM " + table + " WHERE tenant_id = ? AND id" + in + ")", p));
        for (const auto& row : r.rows) out[store::AsInt(row[0])] = store::AsText(row[1]);
      }
      return Status();
    };
    KEEL_RETURN_IF_ERROR(names("users", "display_name", rs, reps));
    KEEL_RETURN_IF_ERROR(names("customers", "name", cs, customers));
    KEEL_RETURN_IF_ERROR(names("stores", "name", ss, stores));
  }
  // Group today's notes by intent.
  std::map<std::string, std::vector<const TextRow*>> groups;
  double today_sum = 0, week_sum = 0;
  int week_n = 0;
  std::vector<std::vector<Token>> all_tokens;
  for (const auto& r : today) {
    const json& a = analyses[r.id];
    today_sum += a.value("sentiment", 0.0);
    json intents = a.contains("intents") && a["intents"].is_array() ? a["intents"] : json::array({"other"});
    for (const auto& code : intents) groups[code.get<std::string>()].push_back(&r);
    all_tokens.push_back(Segment(r.text, t->terms));
  }
  for (const auto& r : week) {
    if (analyses.count(r.id)) {
      week_sum += analyses[r.id].value("sentiment", 0.0);
      ++week_n;
    }
  }
  CorpusStats stats;
  {
    std::lock_guard lock(t->mu);
    stats = t->stats;
  }
  std::vector<std::pair<std::string, std::vector<const TextRow*>>> ordered(groups.begin(), groups.end());
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    bool a_act = Priority(a.first) < 7, b_act = Priority(b.first) < 7;
    if (a_act != b_act) return a_act;
    if (a.second.size() != b.second.size()) return a.second.size() > b.second.size();
    return Priority(a.first) < Priority(b.first);
  });
  json problems = json::array();
  std::string lines_zh, lines_en;
  for (const auto& [code, rows] : ordered) {
    const IntentDef* d = FindIntent(t->intents, code);
    std::vector<std::vector<Token>> docs;
    for (const auto* r : rows) docs.push_back(Segment(r->text, t->terms));
    auto phrases = KeyPhrases(docs, stats, t->terms, 5);
    // Representative quotes: the notes that carry most of the group's top phrases, strongest feeling first.
    std::vector<std::pair<double, const TextRow*>> ranked;
    for (size_t i = 0; i < rows.size(); ++i) {
      double s = 0;
      for (const auto& kp : phrases) {
        if (Normalize(rows[i]->text).find(kp.text) != std::string::npos) s += kp.score;
      }
      s += std::fabs(analyses[rows[i]->id].value("sentiment", 0.0)) * 0.5;
      ranked.push_back({s, rows[i]});
    }
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    json quotes = json::array();
    std::set<std::string> quoted;
    for (const auto& [s, r] : ranked) {
      if (quotes.size() >= 3) break;
      if (!quoted.insert(r->text).second) continue;  // the same words from two notes: one quote
      std::string q = r->text;
      if (CodePoints(q) > 90) {
        size_t cut = 0, n = 0;
        while (cut < q.size() && n < 88) {
          cut += (static_cast<unsigned char>(q[cut]) >= 0xF0) ? 4 : (static_cast<unsigned char>(q[cut]) >= 0xE0) ? 3
                 : (static_cast<unsigned char>(q[cut]) >= 0xC0)                                                  ? 2 : 1;
          ++n;
        }
        q = q.substr(0, cut) + "…";
      }
      quotes.push_back({{"activity_id", r->id}, {"text", q}, {"rep", reps.count(r->owner) ? json(reps[r->owner]) : json(nullptr)},
                        {"customer", customers.count(r->customer) ? json(customers[r->customer]) : json(nullptr)},
                        {"store", stores.count(r->store) ? json(stores[r->store]) : json(nullptr)}});
    }
    std::set<int64_t> cs, ss;
    double sum = 0;
    for (const auto* r : rows) {
      if (r->customer) cs.insert(r->customer);
      if (r->store) ss.insert(r->store);
      sum += analyses[r->id].value("sentiment", 0.0);
    }
    json affected_c = json::array(), affected_s = json::array();
    for (int64_t c : cs) {
      if (affected_c.size() < 10) affected_c.push_back({{"id", c}, {"name", customers[c]}});
    }
    for (int64_t s : ss) {
      if (affected_s.size() < 10) affected_s.push_back({{"id", s}, {"name", stores[s]}});
    }
    std::string zh = d ? d->zh : "其他", en = d ? d->en : "other";
    std::string fz = d ? d->follow_up_zh : "", fe = d ? d->follow_up_en : "";
    problems.push_back({{"intent", code}, {"title_zh", zh}, {"title_en", en}, {"count", rows.size()},
                        {"customers", cs.size()}, {"stores", ss.size()}, {"affected_customers", affected_c},
                        {"affected_stores", affected_s}, {"key_phrases", PhrasesJson(phrases)}, {"quotes", quotes},
                        {"sentiment", std::round(sum / static_cast<double>(rows.size()) * 1000) / 1000},
                        {"follow_up_zh", fz}, {"follow_up_en", fe}});
    if (Priority(code) < 7 && problems.size() <= 4) {
      std::string top = phrases.empty() ? "" : phrases[0].text;
      lines_zh += (lines_zh.empty() ? "" : "；") + zh + " " + std::to_string(rows.size()) + " 条" + (top.empty() ? "" : "（" + top + "）");
      lines_en += (lines_en.empty() ? "" : "; ") + en + " " + std::to_string(rows.size()) + (top.empty() ? "" : " (" + top + ")");
    }
  }
  double today_mean = today.empty() ? 0 : today_sum / static_cast<double>(today.size());
  double week_mean = week_n ? week_sum / week_n : 0;
  double change = today.empty() || !week_n ? 0 : today_mean - week_mean;
  std::string trend = change < -0.05 ? "down" : change > 0.05 ? "up" : "flat";
  std::set<int64_t> rep_ids, cust_ids;
  for (const auto& r : today) {
    if (r.owner) rep_ids.insert(r.owner);
    if (r.customer) cust_ids.insert(r.customer);
  }
  auto day_phrases = KeyPhrases(all_tokens, stats, t->terms, 8);
  std::string summary_zh = name + " " + day + "：" + std::to_string(today.size()) + " 条拜访/沟通纪要，" + std::to_string(rep_ids.size()) +
                           " 位销售，" + std::to_string(cust_ids.size()) + " 个客户。";
  std::string summary_en = name_en + " on " + day + ": " + std::to_string(today.size()) + " notes by " + std::to_string(rep_ids.size()) +
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
    summary_zh = name + " " + day + "：当天没有拜访纪要。";
    summary_en = name_en + " on " + day + ": no notes that day.";
  }
  json content = {{"scope", scope}, {"scope_id", scope_id}, {"name", name}, {"name_en", name_en}, {"day", day},
                  {"notes", today.size()}, {"reps", rep_ids.size()}, {"customers", cust_ids.size()},
                  {"sentiment", {{"today", std::round(today_mean * 1000) / 1000}, {"last_week", std::round(week_mean * 1000) / 1000},
                                 {"change", std::round(change * 1000) / 1000}, {"trend", trend}, {"last_week_notes", week_n}}},
                  {"key_phrases", PhrasesJson(day_phrases)}, {"problems", problems},
                  {"summary_zh", summary_zh}, {"summary_en", summary_en}, {"generated_at", FormatTimestamp(impl_->clock.NowMs())}};
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  // One recap per scope and day: made again, it replaces the earlier one (an upsert, so the worker
  // and an on-demand request racing each other both succeed).
  KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, conn->AllocateIds(1));
  Value ins[] = {tenant, ids[0], scope, scope_id, unit, day, content.dump(), FormatTimestamp(impl_->clock.NowMs())};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_recaps (tenant_id, id, scope, scope_id, unit_id, day, content, created_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, scope, scope_id, day) DO UPDATE SET "
                                  "content = excluded.content, created_at = excluded.created_at", ins).status());
  Value q[] = {tenant, scope, scope_id, day};
  KEEL_ASSIGN_OR_RETURN(store::Rows existing, conn->Query("SELECT id FROM text_recaps WHERE tenant_id = ? AND scope = ? AND scope_id = ? AND day = ?", q));
  int64_t id = store::AsInt(existing.rows[0][0]);
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
    Value q[] = {p.tenant_id, p.unit_path};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT id FROM units WHERE tenant_id = ? AND path = ?", q));
    if (r.empty()) return Status::NotFound("unit");
    id = store::AsInt(r.rows[0][0]);
  }
  // Who may read it: a unit within the caller's part of the tree; a team that is the caller's or
  // whose supervisor is in it.
  bool whole = p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps || p.role == domain::Role::kAnalyst ||
               p.role == domain::Role::kAuditor || p.is_system();
  if (!whole) {
    if (scope == "unit") {
      Value q[] = {p.tenant_id, id};
      KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query("SELECT path FROM units WHERE tenant_id = ? AND id = ?", q));
      if (r.empty() || store::AsText(r.rows[0][0]).rfind(p.unit_path, 0) != 0 ||
          p.role == domain::Role::kRep || p.role == domain::Role::kSupervisor) {
        return Status::NotFound("unit");
      }
    } else {
      Value q[] = {p.tenant_id, id};
      KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
          "SELECT u.id, un.path, u.role FROM users u JOIN units un ON un.tenant_id = u.tenant_id AND un.id = u.unit_id "
          "WHERE u.tenant_id = ? AND u.id = ?", q));
      bool ok = !r.empty();
      if (ok && p.role == domain::Role::kUnitLead) ok = store::AsText(r.rows[0][1]).rfind(p.unit_path, 0) == 0;
      // A supervisor reads their own team's recap; quotes from other teams' notes are not theirs to read.
      if (ok && p.role == domain::Role::kSupervisor) ok = id == p.user_id;
      if (!ok) return Status::NotFound("supervisor");
    }
  }
}
  KEEL_ASSIGN_OR_RETURN(json content, MakeRecap(p.tenant_id, scope, id, day));
  return ForReader(std::move(content), lang);
}

Result<json> TextService::MyRecaps(const Principal& p, const std::string& lang_in) {
  std::string lang = lang_in.empty() ? (p.locale.rfind("en", 0) == 0 ? "en" : "zh") : lang_in;
  if (lang != "zh" && lang != "en") return Bad("validation.parameter", "lang is zh or en", "lang 取值 zh 或 en", "lang");
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  std::vector<Value> q = {p.tenant_id};
  std::string sql = "SELECT r.id, r.content, r.delivered FROM text_recaps r WHERE r.tenant_id = ?";
  bool whole = p.role == domain::Role::kAdmin || p.role == domain::Role::kHqOps || p.role == domain::Role::kAnalyst ||
               p.role == domain::Role::kAuditor || p.is_system();
  if (!whole) {
    if (p.role == domain::Role::kUnitLead) {
      sql += domain::UnitTree::UnitWithin("r.unit_id", p.tenant_id, p.unit_path, q);
    } else {
      sql += " AND r.scope = 'team' AND r.scope_id = ?";
      q.push_back(p.user_id);
    }
  }
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(sql + " ORDER BY r.day DESC, r.id DESC LIMIT 50", q));
  json items = json::array();
  for (const auto& row : r.rows) {
    json c = ForReader(json::parse(store::AsText(row[1])), lang);
    c["id"] = store::AsInt(row[0]);
    c["delivered"] = store::IsNull(row[2]) ? json::array() : json::parse(store::AsText(row[2]), nullptr, false);
    items.push_back(std::move(c));
  }
  return json{{"items", items}};
}

Status TextService::Impl::DeliverRecap(int64_t tenant, int64_t recap_id, int64_t unit, const json& content) {
  std::vector<std::tuple<int64_t, alerts::WebhookTarget, std::string>> targets;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
    Value q[] = {tenant, tenant, unit};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT w.id, w.channel, w.url, w.secret, w.locale, w.unit_id, wu.path, ru.path FROM webhooks w "
        "LEFT JOIN units wu ON wu.tenant_id = w.tenant_id AND wu.id = w.unit_id "
        "LEFT JOIN units ru ON ru.tenant_id = ? AND ru.id = ? "
        "WHERE w.tenant_id = ? AND w.status = 'active' AND w.min_severity = 'info'",
        std::vector<Value>{tenant, unit, tenant}));
    (void)q;
    for (const auto& row : r.rows) {
      // A unit's webhook hears the recaps of its subtree; a tenant-wide one hears them all.
      if (!store::IsNull(row[5]) && (store::IsNull(row[7]) || store::AsText(row[7]).rfind(store::AsText(row[6]), 0) != 0)) continue;
      auto ch = alerts::ParseChannel(store::AsText(row[1]));
      if (!ch.ok()) continue;
      alerts::WebhookTarget wt;
      wt.channel = *ch;
      // Stored sealed (as the alert engine writes them); opened only to send.
      auto url = box->Open(store::AsText(row[2]));
      auto secret = box->Open(store::AsText(row[3]));
      if (!url.ok() || !secret.ok()) {
        spdlog::warn("text: webhook {} of tenant {} cannot be decrypted with the configured keys", store::AsInt(row[0]), tenant);
        continue;
      }
      wt.url = *url;
      wt.secret = *secret;
      targets.push_back({store::AsInt(row[0]), wt, store::AsText(row[4])});
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
  Value q[] = {delivered.dump(), tenant, recap_id};
  return conn->Exec("UPDATE text_recaps SET delivered = ? WHERE tenant_id = ? AND id = ?", q).status();
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
    auto tenants = (*conn)->Query("SELECT id FROM tenants WHERE status = 'active'");
    if (!tenants.ok()) return;
    for (const auto& r : tenants->rows) ids.push_back(store::AsInt(r[0]));
  }
  for (int64_t tenant : ids) {
    auto t = Tenant(tenant);
    if (!t.ok()) continue;
    TimeMs local = (*t)->zone->ToLocal(now);
    std::string day = FormatDate(local / kDayMs);
    int hour = static_cast<int>((local % kDayMs) / 3600000);
    if (hour < (*t)->recap_hour) continue;
    Result<store::Rows> units = store::Rows(), sups = store::Rows();
    {
      auto c = db.Acquire();
      if (!c.ok()) return;
      Value q[] = {tenant};
      auto st = (*c)->Query("SELECT recap_day FROM text_state WHERE tenant_id = ?", q);
      if (!st.ok() || (!st->empty() && !store::IsNull(st->rows[0][0]) && store::AsText(st->rows[0][0]) == day)) continue;
      units = (*c)->Query("SELECT id FROM units WHERE tenant_id = ? AND kind = 'unit' AND archived_at IS NULL", q);
      sups = (*c)->Query("SELECT id FROM users WHERE tenant_id = ? AND role = 'supervisor' AND archived_at IS NULL", q);
      Value mark[] = {tenant, day, FormatTimestamp(now)};
      (void)(*c)->Exec("INSERT INTO text_state (tenant_id, seq, docs, recap_day, updated_at) VALUES (?, 0, 0, ?, ?) ON CONFLICT (tenant_id) "
                       "DO UPDATE SET recap_day = excluded.recap_day", mark);
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
    for (const auto& r : units->rows) make("unit", store::AsInt(r[0]));
    for (const auto& r : sups->rows) make("team", store::AsInt(r[0]));
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
    Value q[] = {tenant};
    KEEL_ASSIGN_OR_RETURN(store::Rows u, conn->Query("SELECT id FROM units WHERE tenant_id = ? AND kind = 'unit' AND archived_at IS NULL", q));
    KEEL_ASSIGN_OR_RETURN(store::Rows s, conn->Query("SELECT id FROM users WHERE tenant_id = ? AND role = 'supervisor' AND archived_at IS NULL", q));
    for (const auto& r : u.rows) scopes.push_back({"unit", store::AsInt(r[0])});
    for (const auto& r : s.rows) scopes.push_back({"team", store::AsInt(r[0])});
  }
  for (const auto& [scope, id] : scopes) KEEL_RETURN_IF_ERROR(MakeRecap(tenant, scope, id, day).status());
  return static_cast<int64_t>(scopes.size());
}

// ---- Key phrases by scope ----

Result<json> TextService::KeyPhrasesOf(const Principal& p, const std::vector<std::pair<std::string, std::string>>& query) {
  std::string where;
  std::vector<Value> params;
  int days = 7;
  std::string day;
  for (const auto& [k, v] : query) {
    if (k == "customer_id" || k == "unit_id" || k == "owner_id") {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || x <= 0) return Bad("validation.parameter", k + " must be a positive id", k + " 应为正整数 ID", k);
      if (k == "unit_id") {
        where += " AND unit_id IN (SELECT c.id FROM units c JOIN units p ON p.tenant_id = c.tenant_id AND c.path LIKE p.path || '%' "
                 "WHERE c.tenant_id = ? AND p.id = ?)";
        params.push_back(p.tenant_id);
      } else {
        where += " AND " + k + " = ?";
      }
      params.emplace_back(static_cast<int64_t>(x));
    } else if (k == "date") {
      if (!ParseDate(v).ok()) return Bad("validation.parameter", "date must be YYYY-MM-DD", "date 应为 YYYY-MM-DD", k);
      day = v;
    } else if (k == "days") {
      char* end = nullptr;
      long x = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || x < 1 || x > 365) return Bad("validation.parameter", "days is 1 to 365", "days 应为 1 到 365", k);
      days = static_cast<int>(x);
    } else if (k != "limit") {
      return Bad("validation.parameter", "unknown parameter '" + k + "'", "未知参数 '" + k + "'", k);
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  TimeMs to = impl_->clock.NowMs(), from = to - days * kDayMs;
  if (!day.empty()) {
    KEEL_ASSIGN_OR_RETURN(auto r, DayRange(*t->zone, day));
    from = r.first;
    to = r.second;
  }
  where = " AND occurred_at >= ? AND occurred_at < ?" + where;
  params.insert(params.begin(), {Value(FormatTimestamp(from)), Value(FormatTimestamp(to))});
  where += domain::ScopeClause(p, *domain::FindEntity("activities"), params);
  std::vector<TextRow> rows;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(rows, impl_->LoadRows(*conn, p.tenant_id, "activities", where + " ORDER BY occurred_at DESC LIMIT 5000", params));
  }
  std::vector<std::vector<Token>> docs;
  for (const auto& r : rows) docs.push_back(Segment(r.text, t->terms));
  CorpusStats stats;
  {
    std::lock_guard lock(t->mu);
    stats = t->stats;
  }
  return json{{"notes", rows.size()}, {"from", FormatTimestamp(from)}, {"to", FormatTimestamp(to)},
              {"key_phrases", PhrasesJson(KeyPhrases(docs, stats, t->terms, 12))}};
}

// ---- Settings ----

Result<json> TextService::Settings(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  json intents = json::array();
  for (const auto& d : t->intents) {
    intents.push_back({{"code", d.code}, {"zh", d.zh}, {"en", d.en}, {"terms", d.terms}, {"follow_up_zh", d.follow_up_zh},
                       {"follow_up_en", d.follow_up_en}});
  }
  json llm = nullptr;
  if (t->llm.is_object()) llm = {{"url", t->llm.value("url", "")}, {"model", t->llm.value("model", "")}, {"has_key", !t->llm.value("api_key", "").empty()}};
  return json{{"terms", t->term_list}, {"intents", intents}, {"tenant_intents", t->tenant_intents}, {"recap_hour", t->recap_hour},
              {"llm", llm}};
}

Result<json> TextService::Impl::NewLlm(const Principal& p, const json& current, const json& in, json* audit) {
  // The key never goes into the audit: only whether there is one and what became of it.
  auto view = [](const json& llm, const char* key_state) {
    if (!llm.is_object()) return json(nullptr);
    return json{{"url", llm.value("url", "")}, {"model", llm.value("model", "")}, {"api_key", key_state}};
  };
  const bool had_key = current.is_object() && !current.value("api_key", "").empty();
  json next = nullptr;
  const char* key_state = "none";
  if (!in.is_null()) {
    Status st = domain::CheckObject(in, {"url", "model", "api_key"});
    if (!st.ok()) return st.WithFieldPrefix("llm");
    for (const char* k : {"url", "model", "api_key"}) {
      if (in.contains(k) && !in[k].is_string()) {
        return Bad("validation.type", std::string("llm.") + k + " must be text", std::string("llm.") + k + " 必须是文本", std::string("llm.") + k);
      }
    }
    std::string url = in.value("url", "");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return Bad("validation.url", "llm.url must be an http(s) URL of an OpenAI-compatible API (…/v1)",
                 "llm.url 应为兼容 OpenAI 的 http(s) 接口地址（…/v1）", "llm.url");
    }
    if (in.value("model", "").empty()) return Bad("validation.required", "llm.model is required", "llm.model 为必填项", "llm.model");
    const bool same_url = current.is_object() && current.value("url", "") == url;
    std::string sealed_key;
    if (in.contains("api_key")) {
      KEEL_ASSIGN_OR_RETURN(sealed_key, box->Seal(in["api_key"].get<std::string>()));
      key_state = sealed_key.empty() ? "none" : "changed";
    } else if (same_url && had_key) {
      sealed_key = current.value("api_key", "");  // the same endpoint keeps its key
      key_state = "set";
    } else if (had_key) {
      key_state = "cleared";  // a new endpoint never inherits the key entered for the old one
    }
    next = {{"url", url}, {"model", in["model"]}, {"api_key", sealed_key}};
  }
  const bool unchanged = (next.is_null() && current.is_null()) ||
                         (next.is_object() && current.is_object() && next["url"] == current.value("url", "") &&
                          next["model"] == current.value("model", "") && next["api_key"] == current.value("api_key", ""));
  if (unchanged) return next;
  // The endpoint decides where the tenant's key and its customers' notes are sent.
  if (p.role != domain::Role::kAdmin) {
    return Status::Error(ErrorKind::kForbidden, "text.llm_admin_only", "only an admin may change the generative endpoint (llm)",
                         "只有管理员可以修改生成式接口（llm）", "llm");
  }
  if (next.is_object()) KEEL_RETURN_IF_ERROR(policy->Check(next["url"].get<std::string>()).status().WithFieldPrefix("llm"));
  *audit = {{"before", view(current, had_key ? "set" : "none")}, {"after", view(next, key_state)}};
  return next;
}

Result<ResealCount> TextService::ResealSecrets() {
  ResealCount count;
  const SecretBox& box = *impl_->box;
  std::vector<int64_t> changed;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(store::Rows rows, conn->Query("SELECT tenant_id, llm FROM text_settings WHERE llm IS NOT NULL"));
    for (const auto& r : rows.rows) {
      json llm = json::parse(store::AsText(r[1]), nullptr, false);
      if (!llm.is_object() || !llm.contains("api_key") || !llm["api_key"].is_string()) continue;
      const std::string stored = llm["api_key"];
      if (!box.NeedsReseal(stored)) {
        if (SecretBox::IsSealed(stored) && !box.Open(stored).ok()) {
          ++count.unreadable;
          spdlog::warn("text: the LLM key of tenant {} cannot be decrypted with the configured keys", store::AsInt(r[0]));
        }
        continue;
      }
      auto plain = box.Open(stored);
      auto sealed = plain.ok() ? box.Seal(*plain) : Result<std::string>(plain.status());
      if (!sealed.ok()) {
        ++count.unreadable;
        continue;
      }
      llm["api_key"] = *sealed;
      Value q[] = {llm.dump(), r[0]};
      KEEL_RETURN_IF_ERROR(conn->Exec("UPDATE text_settings SET llm = ? WHERE tenant_id = ?", q).status());
      changed.push_back(store::AsInt(r[0]));
      ++count.resealed;
    }
  }
  for (int64_t t : changed) impl_->Forget(t);
  return count;
}

Result<json> TextService::SaveSettings(const Principal& p, const json& body) {
  if (!CanManage(p)) return Forbidden();
  KEEL_RETURN_IF_ERROR(domain::CheckObject(body, {"terms", "intents", "recap_hour", "llm"}));
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  std::vector<std::string> terms = t->term_list;
  json intents = t->tenant_intents;
  int hour = t->recap_hour;
  json llm = t->llm;
  json llm_audit;  // {before, after} when `llm` changes
  if (body.contains("terms")) {
    if (!body["terms"].is_array() || body["terms"].size() > 5000) {
      return Bad("validation.type", "terms must be a list of at most 5000 words", "terms 应为不超过 5000 个词的列表", "terms");
    }
    terms.clear();
    for (size_t i = 0; i < body["terms"].size(); ++i) {
      std::string at = "terms[" + std::to_string(i) + "]";
      KEEL_ASSIGN_OR_RETURN(std::string s, CheckedText(body["terms"][i], at, 100));
      terms.push_back(s);
    }
  }
  if (body.contains("intents")) {
    if (!body["intents"].is_array() || body["intents"].size() > 50) {
      return Bad("validation.type", "intents must be a list of at most 50 categories", "intents 应为不超过 50 个类别的列表", "intents");
    }
    intents = json::array();
    for (size_t i = 0; i < body["intents"].size(); ++i) {
      const json& d = body["intents"][i];
      std::string at = "intents[" + std::to_string(i) + "]";
      Status st = domain::CheckObject(d, {"code", "zh", "en", "terms", "follow_up_zh", "follow_up_en"});
      if (!st.ok()) return st.WithFieldPrefix(at);
      std::string code = d.value("code", "");
      bool ok = !code.empty() && code.size() <= 40 && code[0] >= 'a' && code[0] <= 'z' &&
                std::all_of(code.begin(), code.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
      if (!ok || code == "other") {
        return Bad("validation.parameter", at + ".code must be a-z, 0-9, _ (not 'other')", at + ".code 应为 a-z、0-9、下划线（不能为 other）", at + ".code");
      }
      if (!d.contains("terms") || !d["terms"].is_array() || d["terms"].empty()) {
        return Bad("validation.required", at + ".terms needs at least one term", at + ".terms 至少需要一个词", at + ".terms");
      }
      json clean = {{"code", code}, {"zh", d.value("zh", code)}, {"en", d.value("en", code)}, {"terms", json::array()},
                    {"follow_up_zh", d.value("follow_up_zh", "")}, {"follow_up_en", d.value("follow_up_en", "")}};
      for (size_t k = 0; k < d["terms"].size(); ++k) {
        KEEL_ASSIGN_OR_RETURN(std::string s, CheckedText(d["terms"][k], at + ".terms[" + std::to_string(k) + "]", 100));
        clean["terms"].push_back(s);
      }
      intents.push_back(clean);
    }
  }
  if (body.contains("recap_hour")) {
    if (!body["recap_hour"].is_number_integer() || body["recap_hour"].get<int>() < 0 || body["recap_hour"].get<int>() > 23) {
      return Bad("validation.range", "recap_hour is 0 to 23 (local time)", "recap_hour 应为 0 到 23（本地时间）", "recap_hour");
    }
    hour = body["recap_hour"].get<int>();
  }
  if (body.contains("llm")) {
    KEEL_ASSIGN_OR_RETURN(llm, impl_->NewLlm(p, t->llm, body["llm"], &llm_audit));
  }
  {
  const TimeMs now = impl_->clock.NowMs();
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  Value q[] = {p.tenant_id, json(terms).dump(), intents.dump(), int64_t{hour}, llm.is_null() ? Value() : Value(llm.dump()),
               FormatTimestamp(now)};
  KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_settings (tenant_id, terms, intents, recap_hour, llm, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                                  "ON CONFLICT (tenant_id) DO UPDATE SET terms = excluded.terms, intents = excluded.intents, "
                                  "recap_hour = excluded.recap_hour, llm = excluded.llm, updated_at = excluded.updated_at", q).status());
  if (!llm_audit.is_null()) {
    KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, now, {"text_settings.llm", "text_settings", p.tenant_id, llm_audit["before"],
                                                            llm_audit["after"]}));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  impl_->Forget(p.tenant_id);
  impl_->ForgetKb(p.tenant_id);
  return Settings(p);
}

// ---- The sentiment model ----

Result<json> TextService::SentimentModel(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  Value q[] = {p.tenant_id};
  KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
      "SELECT COUNT(*), SUM(CASE WHEN rating >= 4 THEN 1 ELSE 0 END), SUM(CASE WHEN rating <= 2 THEN 1 ELSE 0 END) FROM feedback "
      "WHERE tenant_id = ? AND rating IS NOT NULL AND text IS NOT NULL AND archived_at IS NULL", q));
  json rated = {{"rated_texts", store::AsInt(r.rows[0][0])},
                {"positive", store::IsNull(r.rows[0][1]) ? 0 : store::AsInt(r.rows[0][1])},
                {"negative", store::IsNull(r.rows[0][2]) ? 0 : store::AsInt(r.rows[0][2])},
                {"needed", impl_->opt.min_rated_feedback}, {"needed_per_class", impl_->opt.min_per_class}};
  std::lock_guard lock(t->mu);
  if (!t->sentiment) {
    return json{{"model", "lexicon"}, {"note_en", "not enough rated feedback yet: the lexicon judges sentiment"},
                {"note_zh", "评分反馈尚不足，暂由情感词典判定"}, {"feedback", rated}};
  }
  return json{{"model", "fasttext:v" + std::to_string(t->sentiment_version)}, {"card", t->sentiment_card}, {"feedback", rated}};
}

Result<json> TextService::TrainSentiment(const Principal& p) {
  if (!CanManage(p)) return Forbidden();
  return TrainSentimentFor(p.tenant_id);
}

// Rated feedback with text → labels (4-5 positive, 3 neutral, 1-2 negative); the older 80 % trains,
// the newer 20 % is the holdout on which the model must beat the lexicon; then the model is
// trained on all of it, stored, and every feedback is judged again.
Result<json> TextService::TrainSentimentFor(int64_t tenant) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(tenant));
  std::vector<std::pair<std::string, std::string>> data;  // label, text
  int64_t last_rows = t->sentiment_card.is_object() ? t->sentiment_card.value("rows", int64_t{0}) : 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    Value q[] = {tenant};
    KEEL_ASSIGN_OR_RETURN(store::Rows r, conn->Query(
        "SELECT rating, text FROM feedback WHERE tenant_id = ? AND rating IS NOT NULL AND text IS NOT NULL AND archived_at IS NULL "
        "ORDER BY submitted_at, id", q));
    for (const auto& row : r.rows) {
      int64_t rating = store::AsInt(row[0]);
      std::string text = store::AsText(row[1]);
      if (!IsCleanText(text) || text.size() > impl_->opt.max_text_bytes) continue;
      data.push_back({rating >= 4 ? "pos" : rating <= 2 ? "neg" : "neu", text});
    }
  }
  int64_t pos = 0, neg = 0, neu = 0;
  for (const auto& [l, s] : data) (l == "pos" ? pos : l == "neg" ? neg : neu)++;
  if (static_cast<int>(data.size()) < impl_->opt.min_rated_feedback || pos < impl_->opt.min_per_class || neg < impl_->opt.min_per_class) {
    return Status::Invalid("text.not_enough_data",
                           "not enough rated feedback to train: " + std::to_string(data.size()) + " texts (" + std::to_string(pos) + " positive, " +
                               std::to_string(neg) + " negative); " + std::to_string(impl_->opt.min_rated_feedback) + " with " +
                               std::to_string(impl_->opt.min_per_class) + " of each are needed — the lexicon is used until then",
                           "评分反馈不足，暂不训练：共 " + std::to_string(data.size()) + " 条（正面 " + std::to_string(pos) + "，负面 " +
                               std::to_string(neg) + "）；需要 " + std::to_string(impl_->opt.min_rated_feedback) + " 条且每类至少 " +
                               std::to_string(impl_->opt.min_per_class) + " 条，此前使用情感词典",
                           "feedback");
  }
  if (t->sentiment && static_cast<double>(data.size()) < static_cast<double>(last_rows) * 1.2) {
    return Status::Error(ErrorKind::kConflict, "text.up_to_date", "the model is up to date with the rated feedback", "模型已与评分反馈同步");
  }
  bool three = neu >= impl_->opt.min_per_class;
  auto example = [&](const std::pair<std::string, std::string>& d) {
    std::string label = d.first == "neu" && !three ? "" : d.first;
    return Classifier::Example{{label}, ClassifierInput(Segment(d.second, t->terms))};
  };
  size_t cut = data.size() * 8 / 10;
  std::vector<Classifier::Example> train;
  for (size_t i = 0; i < cut; ++i) {
    auto e = example(data[i]);
    if (!e.labels[0].empty()) train.push_back(std::move(e));
  }
  KEEL_ASSIGN_OR_RETURN(auto model, Classifier::Train(train, Classifier::Options{}));
  int right = 0, lex_right = 0, n = 0;
  for (size_t i = cut; i < data.size(); ++i) {
    if (data[i].first == "neu" && !three) continue;
    auto tokens = Segment(data[i].second, t->terms);
    std::string want = data[i].first == "pos" ? "positive" : data[i].first == "neg" ? "negative" : "neutral";
    right += ModelSentiment(*model, tokens, 0).label == want;
    lex_right += LexiconSentiment(tokens).label == want;
    ++n;
  }
  double acc = n ? static_cast<double>(right) / n : 0, lex = n ? static_cast<double>(lex_right) / n : 0;
  std::vector<Classifier::Example> all;
  for (const auto& d : data) {
    auto e = example(d);
    if (!e.labels[0].empty()) all.push_back(std::move(e));
  }
  KEEL_ASSIGN_OR_RETURN(auto final_model, Classifier::Train(all, Classifier::Options{}));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, final_model->Save());
  json card = {{"rows", data.size()}, {"positive", pos}, {"negative", neg}, {"neutral", neu}, {"classes", three ? 3 : 2},
               {"holdout_rows", n}, {"holdout_accuracy", std::round(acc * 1000) / 1000},
               {"lexicon_holdout_accuracy", std::round(lex * 1000) / 1000}, {"trained_at", FormatTimestamp(impl_->clock.NowMs())},
               {"labels", "rating 4-5 positive, 3 neutral, 1-2 negative"}};
  if (acc < lex) {
    card["status"] = "rejected";
    card["reason"] = "the model did not beat the lexicon on the holdout";
    return card;
  }
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    Value q[] = {tenant};
    KEEL_ASSIGN_OR_RETURN(store::Rows v, conn->Query("SELECT COALESCE(MAX(version), 0) FROM text_models WHERE tenant_id = ? AND kind = 'sentiment'", q));
    int64_t version = store::AsInt(v.rows[0][0]) + 1;
    card["version"] = version;
    Value ins[] = {tenant, std::string("sentiment"), version, Base64UrlEncode(bytes), card.dump(), FormatTimestamp(impl_->clock.NowMs())};
    KEEL_RETURN_IF_ERROR(conn->Exec("INSERT INTO text_models (tenant_id, kind, version, model, card, created_at) VALUES (?, ?, ?, ?, ?, ?)", ins).status());
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  impl_->Forget(tenant);
  // Every feedback with text is judged again by the new model.
  std::vector<TextRow> rows;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(rows, impl_->LoadRows(*conn, tenant, "feedback", " AND text IS NOT NULL", {}));
  }
  for (size_t from = 0; from < rows.size(); from += 2000) {
    std::vector<TextRow> chunk(rows.begin() + static_cast<long>(from), rows.begin() + static_cast<long>(std::min(rows.size(), from + 2000)));
    KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(tenant, "feedback", chunk, false));
  }
  card["status"] = "active";
  card["rescored_feedback"] = rows.size();
  return card;
}

}  // namespace keel::text
