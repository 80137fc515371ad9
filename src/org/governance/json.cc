#include "org/governance/json.h"
#include "common/json_util.h"

namespace keel::org {

using json = nlohmann::json;

namespace {

template <class T>
json Items(const std::vector<T>& xs, json (*one)(const T&)) {
  json items = json::array();
  for (const auto& x : xs) items.push_back(one(x));
  return json{{"items", items}};
}

json EffectiveJson(const EffectiveBoundary& e) {
  json tiers = json::array();
  for (const auto& t : e.tiers) tiers.push_back(ToJson(t));
  if (!e.from_unit_id) {
    return {{"action", e.action}, {"from_unit_id", nullptr}, {"from_unit", nullptr}, {"inherited", true}, {"tiers", tiers}, {"default", "approval"}};
  }
  return {{"action", e.action}, {"from_unit_id", *e.from_unit_id}, {"from_unit", e.from_unit}, {"inherited", e.inherited}, {"tiers", tiers}};
}

json ReportJson(const BoundaryReport& x) {
  return {{"id", x.id},         {"unit_id", x.unit_id},        {"unit", x.unit},
          {"action", x.action}, {"object", OrNull(x.object)},  {"record_id", OrNull(x.record_id)},
          {"amount", x.amount}, {"summary", OrNull(x.summary)}, {"rule_id", OrNull(x.rule_id)},
          {"actor_id", OrNull(x.actor_id)}, {"at", x.at}};
}

json CheckpointJson(const ComplianceCheckpoint& c) { return ToJson(c); }

json HitJson(const ComplianceHit& h, bool override) {
  json j = {{"event_id", h.event_id}, {"checkpoint_id", h.checkpoint_id}, {"name", h.name}, {"message_zh", h.message_zh},
            {"message_en", h.message_en}};
  if (override) {
    j["reason"] = h.reason;
    j["by"] = h.by;
    j["at"] = h.at;
  }
  return j;
}

json EventJson(const ComplianceEvent& x) {
  return {{"id", x.id},         {"checkpoint_id", x.checkpoint_id},   {"checkpoint", x.checkpoint},   {"object", x.object},
          {"on", x.on},         {"record_id", OrNull(x.record_id)},   {"unit_id", OrNull(x.unit_id)}, {"outcome", x.outcome},
          {"reason", OrNull(x.reason)}, {"actor_id", OrNull(x.actor_id)}, {"at", x.at}};
}

// A logged snapshot as it was stored; null when absent or not JSON.
json Stored(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  auto j = json::parse(*text, nullptr, false);
  return j.is_discarded() ? json() : j;
}

json MemberJson(const UnitMember& x) {
  return {{"id", x.id},         {"username", x.username}, {"display_name", x.display_name},
          {"role", x.role},     {"unit_id", x.unit_id},   {"unit", x.unit},
          {"status", x.status}, {"supervisor_id", OrNull(x.supervisor_id)}, {"last_login_at", OrNull(x.last_login_at)}};
}

}  // namespace

json ToJson(const BoundaryTier& t) {
  return {{"id", t.id}, {"action", t.action}, {"mode", t.mode},
          {"limit", t.limit_fen ? json(static_cast<double>(*t.limit_fen) / 100) : json(nullptr)},
          {"note", t.note.empty() ? json(nullptr) : json(t.note)}};
}

json ToJson(const UnitBoundaries& b) {
  json entries = json::array(), effective = json::array();
  for (const auto& t : b.entries) entries.push_back(ToJson(t));
  for (const auto& e : b.effective) effective.push_back(EffectiveJson(e));
  return json{{"unit_id", b.unit_id}, {"unit", b.unit}, {"entries", entries}, {"effective", effective}, {"actions", b.actions}};
}

json ToJson(const BoundaryDecision& d) {
  return {{"mode", d.mode}, {"rule_id", d.rule_id ? json(d.rule_id) : json(nullptr)}, {"unit_id", d.unit_id ? json(d.unit_id) : json(nullptr)},
          {"limit", d.limit < 0 ? json(nullptr) : json(d.limit)}};
}

json ToJson(const BoundaryAnswer& a) {
  json out = ToJson(a.decision);
  out["action"] = a.action;
  out["amount"] = a.amount;
  return out;
}

json ToJson(const BoundaryReportReceipt& r) {
  return json{{"id", r.id}, {"unit_id", r.unit_id}, {"action", r.action}, {"amount", r.amount}, {"summary", r.summary}, {"decision", ToJson(r.decision)}};
}

json ToJson(const std::vector<BoundaryReport>& reports) { return Items(reports, &ReportJson); }

// The list contract's page: next_after (a string, as entity lists give it) only when more follow.
template <typename T>
json PageJson(const NewestFirst<T>& page) {
  json out = ToJson(page.items);
  if (page.next_after) out["next_after"] = std::to_string(*page.next_after);
  return out;
}

json ToJson(const NewestFirst<BoundaryReport>& page) { return PageJson(page); }

json ToJson(const ComplianceCheckpoint& c) {
  return {{"id", c.id}, {"name", c.name}, {"object", c.object}, {"on", c.on}, {"when", c.when}, {"action", c.action},
          {"message_zh", c.message_zh}, {"message_en", c.message_en}, {"active", c.active}, {"created_at", c.created_at},
          {"updated_at", c.updated_at}, {"archived_at", OrNull(c.archived_at)}};
}

json ToJson(const std::vector<ComplianceCheckpoint>& checkpoints) { return Items(checkpoints, &CheckpointJson); }

json ToJson(const ComplianceOutcome& c) {
  json flags = json::array(), overrides = json::array();
  for (const auto& h : c.flags) flags.push_back(HitJson(h, false));
  for (const auto& h : c.overrides) overrides.push_back(HitJson(h, true));
  return json{{"flags", flags}, {"overrides", overrides}};
}

json ToJson(const std::vector<ComplianceEvent>& events) { return Items(events, &EventJson); }
json ToJson(const NewestFirst<ComplianceEvent>& page) { return PageJson(page); }

json SandboxSettingsJson(const UnitSandbox& s) {
  return {{"configured", s.configured}, {"allowed_roles", s.allowed_roles}, {"max_members", OrNull(s.max_members)}, {"may_disable", s.may_disable}};
}

json ToJson(const UnitSandbox& s) {
  json out = SandboxSettingsJson(s);
  out["unit_id"] = s.unit_id;
  out["unit"] = s.unit;
  out["headcount"] = s.headcount;
  json log = json::array();
  for (const auto& x : s.log) {
    log.push_back({{"id", x.id}, {"actor_id", x.actor_id}, {"action", x.action}, {"user_id", x.user_id}, {"before", Stored(x.before)},
                   {"after", Stored(x.after)}, {"at", x.at}});
  }
  out["log"] = log;
  return out;
}

json ToJson(const UnitMembers& m) {
  json items = json::array();
  for (const auto& x : m.items) items.push_back(MemberJson(x));
  return json{{"unit_id", m.unit_id}, {"headcount", m.headcount}, {"items", items}};
}

}  // namespace keel::org
