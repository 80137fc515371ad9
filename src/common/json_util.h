// Small helpers for writing views as JSON (the parts' ToJson files and the API): an optional as
// its value or null, and a list as {items: [...]}.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel {

template <typename T>
nlohmann::json OrNull(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// {items: [one(x) for x in xs]}.
template <typename T, typename F>
nlohmann::json ItemsOf(const std::vector<T>& xs, F&& one) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& x : xs) items.push_back(one(x));
  return nlohmann::json{{"items", std::move(items)}};
}

}  // namespace keel
