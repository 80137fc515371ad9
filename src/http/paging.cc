#include "http/paging.h"

#include <algorithm>
#include <charconv>

namespace keel::http {

using json = nlohmann::json;

namespace {

Status BadParam(const std::string& name, const std::string& en, const std::string& zh) {
  return Status::Invalid("validation.parameter", en, zh, name);
}

// Orders two keys: numbers by value, everything else by its text (a missing key first).
bool KeyLess(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() < b.get<double>();
  if (a.is_null() || b.is_null()) return a.is_null() && !b.is_null();
  auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  return text(a) < text(b);
}

}  // namespace

Result<PageRequest> TakePageParams(QueryParams& query,
                                   const std::vector<std::pair<std::string, std::string>>& documented) {
  PageRequest out;
  bool seen_limit = false, seen_after = false;
  for (auto it = query.begin(); it != query.end();) {
    const auto& [name, value] = *it;
    if (name != "limit" && name != "after") {
      bool known = std::any_of(documented.begin(), documented.end(), [&](const auto& d) { return d.first == name; });
      if (!known) {
        std::string list = "limit, after";
        for (const auto& d : documented) list += ", " + d.first;
        return BadParam(name, "unknown parameter '" + name + "'; this list takes " + list,
                        "未知参数 '" + name + "'；此列表接受：" + list);
      }
      ++it;
      continue;
    }
    bool& seen = name == "limit" ? seen_limit : seen_after;
    if (seen) return BadParam(name, "parameter '" + name + "' is given twice", "参数 '" + name + "' 重复");
    seen = true;
    if (name == "limit") {
      int v = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || v < 1 || v > kMaxPageLimit) {
        return BadParam(name, "limit must be an integer from 1 to " + std::to_string(kMaxPageLimit),
                        "limit 应为 1 到 " + std::to_string(kMaxPageLimit) + " 的整数");
      }
      out.limit = v;
    } else {
      if (value.empty() || value.size() > 200) {
        return BadParam(name, "after must be next_after of the previous page", "after 应为上一页的 next_after");
      }
      out.after = value;
    }
    it = query.erase(it);
  }
  return out;
}

Status PageItems(const Paging& paging, const PageRequest& page, json& body) {
  if (!body.is_object() || !body.contains("items") || !body["items"].is_array()) return Status();
  json& items = body["items"];
  const std::string& key = paging.key;
  auto key_of = [&](const json& item) -> const json& {
    static const json kNull;
    return item.is_object() && item.contains(key) ? item[key] : kNull;
  };
  std::stable_sort(items.begin(), items.end(), [&](const json& a, const json& b) {
    return paging.desc ? KeyLess(key_of(b), key_of(a)) : KeyLess(key_of(a), key_of(b));
  });
  size_t start = 0;
  if (page.after) {
    // The cut: the first item strictly after `after` in the list's order.
    json after = *page.after;
    bool numeric = std::any_of(items.begin(), items.end(), [&](const json& i) { return key_of(i).is_number(); });
    if (numeric) {
      double v = 0;
      const std::string& text = *page.after;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return BadParam("after", "after must be a number here (next_after of the previous page)",
                        "此处 after 应为数字（上一页的 next_after）");
      }
      after = v;
    }
    while (start < items.size()) {
      const json& k = key_of(items[start]);
      bool past = paging.desc ? KeyLess(k, after) : KeyLess(after, k);
      if (past) break;
      ++start;
    }
  }
  size_t end = std::min(items.size(), start + static_cast<size_t>(page.limit));
  json kept = json::array();
  for (size_t i = start; i < end; ++i) kept.push_back(std::move(items[i]));
  const bool more = end < items.size();
  body["items"] = std::move(kept);
  if (more && !body["items"].empty()) {
    body["next_after"] = key_of(body["items"].back());
  } else {
    body.erase("next_after");
  }
  return Status();
}

}  // namespace keel::http
