#include "http/paging.h"

#include <algorithm>
#include <charconv>

namespace keel::http {

using json = nlohmann::json;

namespace {

Status BadParam(const std::string& name, const std::string& en, const std::string& zh) {
  return Status::Invalid("validation.parameter", en, zh, name);
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
  auto key_of = [&](const json& item) -> json {
    if (!item.is_object() || !item.contains(key)) return nullptr;
    const json& k = item[key];
    return k.is_string() ? k : json(k.dump());  // compared as text: `after` arrives as text
  };
  size_t start = 0;
  if (page.after) {
    // The page starts after the item the previous page ended with, in the list's own order.
    const json after = *page.after;
    auto it = std::find_if(items.begin(), items.end(), [&](const json& i) { return key_of(i) == after; });
    if (it == items.end()) {
      return BadParam("after", "after names no item of this list (it may have been deleted since): start again from the first page",
                      "after 指向的条目已不在列表中（可能已被删除），请从第一页重新开始");
    }
    start = static_cast<size_t>(it - items.begin()) + 1;
  }
  size_t end = std::min(items.size(), start + static_cast<size_t>(page.limit));
  json kept = json::array();
  for (size_t i = start; i < end; ++i) kept.push_back(std::move(items[i]));
  const bool more = end < items.size();
  body["items"] = std::move(kept);
  if (more && !body["items"].empty()) {
    body["next_after"] = body["items"].back()[key];
  } else {
    body.erase("next_after");
  }
  return Status();
}

}  // namespace keel::http
