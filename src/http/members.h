// Reading a request's members into a service's command, and a service's view back into JSON, for
// the *_api.cc files. A member of the wrong type arrives as if absent (an id), empty (a text) or
// NaN (a number), so the service reports the same field error as for a missing one.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "org/members.h"

namespace keel::http {

// A number member: nullopt when absent, NaN when not a number.
inline std::optional<double> Number(const nlohmann::json& body, const char* key) {
  if (!body.is_object() || !body.contains(key)) return std::nullopt;
  const nlohmann::json& v = body[key];
  return v.is_number() ? v.get<double>() : std::nan("");
}

// A text member: `fallback` when absent, empty when not a text.
inline std::string Text(const nlohmann::json& body, const char* key, const std::string& fallback = "") {
  if (!body.is_object() || !body.contains(key)) return fallback;
  return body[key].is_string() ? body[key].get<std::string>() : "";
}

// A text member that is there and a text; nullopt otherwise.
inline std::optional<std::string> TextIfAny(const nlohmann::json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_string()) return std::nullopt;
  return body[key].get<std::string>();
}

// An integer member; nullopt when absent or not an integer.
inline std::optional<int64_t> Integer(const nlohmann::json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_number_integer()) return std::nullopt;
  return body[key].get<int64_t>();
}

// What an archiving DELETE answers: {id, archived: true}, or the service's error.
inline Result<nlohmann::json> Archived(const Status& st, int64_t id) {
  if (!st.ok()) return st;
  return nlohmann::json{{"id", id}, {"archived", true}};
}

// An optional id member for the service to check: absent or null, an id, or mistyped.
inline org::OptionalId IdOf(const nlohmann::json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || body[key].is_null()) return {};
  if (!body[key].is_number_integer()) return {.mistyped = true};
  return {.value = body[key].get<int64_t>()};
}

// A service's view as the JSON the API sends (its part's ToJson, found by argument lookup).
template <class T>
Result<nlohmann::json> Sent(Result<T> r) {
  if (!r.ok()) return r.status();
  return ToJson(*r);
}

}  // namespace keel::http
