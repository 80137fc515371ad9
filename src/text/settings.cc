// Text settings: domain terms, intent categories, the recap hour and the generative endpoint.
#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "domain/audit.h"
#include "text/internal.h"

namespace keel::text {
namespace {

// A text member of the settings document (see CheckText).
Result<std::string> CheckedText(const json& v, const std::string& field, size_t max_bytes) {
  if (!v.is_string()) return Bad("validation.type", field + " must be a string", field + " 应为字符串", field);
  KEEL_RETURN_IF_ERROR(CheckText(v.get_ref<const std::string&>(), field, max_bytes));
  return v.get<std::string>();
}

}  // namespace

Result<SettingsView> TextService::Settings(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  SettingsView out{.terms = t->term_list, .intents = t->intents, .tenant_intents = t->tenant_intents, .recap_hour = t->recap_hour};
  if (t->llm.is_object()) out.llm = LlmView{t->llm.value("url", ""), t->llm.value("model", ""), !t->llm.value("api_key", "").empty()};
  return out;
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
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::LlmRow> rows, repo::StoredLlms(*conn));
    for (const auto& r : rows) {
      json llm = json::parse(r.llm, nullptr, false);
      if (!llm.is_object() || !llm.contains("api_key") || !llm["api_key"].is_string()) continue;
      const std::string stored = llm["api_key"];
      if (!box.NeedsReseal(stored)) {
        if (SecretBox::IsSealed(stored) && !box.Open(stored).ok()) {
          ++count.unreadable;
          spdlog::warn("text: the LLM key of tenant {} cannot be decrypted with the configured keys", r.tenant_id);
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
      KEEL_RETURN_IF_ERROR(repo::SetLlm(*conn, r.tenant_id, llm.dump()));
      changed.push_back(r.tenant_id);
      ++count.resealed;
    }
  }
  for (int64_t t : changed) impl_->Forget(t);
  return count;
}

Result<SettingsView> TextService::SaveSettings(const Principal& p, const json& body) {
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
  repo::SettingsRow row{json(terms).dump(), intents.dump(), int64_t{hour},
                        llm.is_null() ? std::nullopt : std::optional<std::string>(llm.dump())};
  KEEL_RETURN_IF_ERROR(repo::SaveSettings(*conn, p.tenant_id, row, FormatTimestamp(now)));
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

}  // namespace keel::text
