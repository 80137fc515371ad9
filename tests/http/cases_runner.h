// Data-driven API tests: every file in a cases folder (tests/http/cases/, tests/security/cases/) is a list of steps
//   {"name", "as": "<acme user>|rival:<user>|none", "method", "path", "body", "status",
//    "expect": <subset of the reply>, "save": {"var": "json/pointer"}}
// run in order against a real server, on both backends. "${var}" in a path or a body string
// is replaced by a saved value or a fixture id (${unit_a}, ${store_a}, ${product},
// ${user.rep_a1}, ${now}, ${today}, ${this_month}; object keys too). {"wait_text": true} makes the text service analyse what is new. A step {"catch_up": true} waits for the metric engine to apply all events,
// {"evaluate_alerts": true} also evaluates every alert rule now; {"wait_jobs": true} waits for
// the AI service's background jobs; {"outbound_allow": ["127.0.0.1/32"]} replaces the outbound allow-list
// (the fixture starts with 127.0.0.1/32; [] allows nothing but public addresses); ${port} is the server's own port;
// "content_type" sends raw_body as e.g. application/yaml. "expect_raw" compares a non-JSON reply's body
// (a downloaded file) byte for byte, "expect_headers" {name: value} the reply's headers ("" when it must be absent). In "expect", "<any>" matches anything, "<nonempty>" any non-empty value,
// objects match as subsets and arrays element by element ("<len:N>" checks a length, "<maxlen:N>" a
// string of at most N bytes). "body_excludes": ["text", …] fails when the raw reply contains any of
// them (a secret that must never be returned).
// Security cases add: "raw_body_hex" (bytes that JSON cannot hold: invalid UTF-8, NUL);
// "${repeat:N:text}" in a raw body or string (text N times, e.g. 100k characters or 1,000-deep
// nesting); "headers" {name: value or [values]} sent with the request (an array: the header once per value); "max_rss_growth_mb" (the server runs
// in this process: its resident set, read from /proc/self/status, may grow by at most this much
// over the step); "repeat": N sends the step N times (the last reply is checked); "contains" and
// "absent": texts the raw reply must (not) contain — what must never leak.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include "http/server_fixture.h"

namespace keel::http::cases {

using testing::TestBackend;
using testing::TestClock;

// The process's resident set in KiB (VmRSS), 0 when /proc is not there.
inline int64_t ResidentKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return 0;
}

inline std::string Repeat(const std::string& spec) {  // "N:text"
  size_t colon = spec.find(':');
  size_t n = std::stoul(spec.substr(0, colon));
  std::string text = spec.substr(colon + 1), out;
  out.reserve(n * text.size());
  for (size_t i = 0; i < n; ++i) out += text;
  return out;
}

inline std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::string Substitute(std::string s, const std::map<std::string, std::string>& vars) {
  static const std::regex re("\\$\\{(repeat:[0-9]+:[^}]*|[a-zA-Z0-9_.]+)\\}");
  std::smatch m;
  std::string out;
  while (std::regex_search(s, m, re)) {
    auto it = vars.find(m[1]);
    if (m[1].str().rfind("repeat:", 0) == 0) out += m.prefix().str() + Repeat(m[1].str().substr(7));
    else out += m.prefix().str() + (it == vars.end() ? "<undefined " + m[1].str() + ">" : it->second);
    s = m.suffix().str();
  }
  return out + s;
}

// Numbers substituted into JSON strings that are whole placeholders become numbers.
inline json SubstituteJson(const json& j, const std::map<std::string, std::string>& vars) {
  if (j.is_string()) {
    std::string s = Substitute(j.get<std::string>(), vars);
    const std::string& orig = j.get_ref<const std::string&>();
    if (orig.size() > 3 && orig.rfind("${", 0) == 0 && orig.back() == '}' &&
        orig.find("${", 2) == std::string::npos && !s.empty() &&
        s.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(s);
    }
    return s;
  }
  if (j.is_object()) {
    json out = json::object();
    for (auto& [k, v] : j.items()) out[Substitute(k, vars)] = SubstituteJson(v, vars);  // keys too: {"${unit_a}": 60}
    return out;
  }
  if (j.is_array()) {
    json out = json::array();
    for (const auto& v : j) out.push_back(SubstituteJson(v, vars));
    return out;
  }
  return j;
}

inline bool Matches(const json& expect, const json& got, const std::string& at, std::string* why) {
  if (expect.is_string()) {
    const std::string& e = expect.get_ref<const std::string&>();
    if (e == "<any>") return true;
    if (e == "<nonempty>") {
      bool ok = !got.is_null() && !(got.is_string() && got.get<std::string>().empty()) &&
                !(got.is_array() && got.empty());
      if (!ok) *why = at + ": expected a non-empty value, got " + got.dump();
      return ok;
    }
    if (e.rfind("<maxlen:", 0) == 0) {
      size_t n = std::stoul(e.substr(8));
      bool ok = got.is_string() && got.get_ref<const std::string&>().size() <= n;
      if (!ok) *why = at + ": expected a string of at most " + std::to_string(n) + " bytes, got " + got.dump().substr(0, 300);
      return ok;
    }
    if (e.rfind("<len:", 0) == 0) {
      size_t n = std::stoul(e.substr(5));
      bool ok = got.is_array() && got.size() == n;
      if (!ok) *why = at + ": expected " + std::to_string(n) + " items, got " + got.dump().substr(0, 300);
      return ok;
    }
  }
  if (expect.is_object()) {
    if (!got.is_object()) {
      *why = at + ": expected an object, got " + got.dump().substr(0, 300);
      return false;
    }
    for (auto& [k, v] : expect.items()) {
      if (!got.contains(k)) {
        *why = at + "." + k + ": missing";
        return false;
      }
      if (!Matches(v, got[k], at + "." + k, why)) return false;
    }
    return true;
  }
  if (expect.is_array()) {
    if (!got.is_array() || got.size() < expect.size()) {
      *why = at + ": expected an array of at least " + std::to_string(expect.size()) + ", got " + got.dump().substr(0, 300);
      return false;
    }
    for (size_t i = 0; i < expect.size(); ++i) {
      if (!Matches(expect[i], got[i], at + "[" + std::to_string(i) + "]", why)) return false;
    }
    return true;
  }
  if (expect.is_number() && got.is_number()) {
    if (std::abs(expect.get<double>() - got.get<double>()) < 1e-9) return true;
  } else if (expect == got) {
    return true;
  }
  *why = at + ": expected " + expect.dump() + ", got " + got.dump().substr(0, 300);
  return false;
}

// A focused JSON Schema (2020-12) check of a reply against the document's schema, enough for what
// the document uses: `$ref` to #/components/schemas/…, `type` (a name or a list of names),
// `enum`, `const`, `required`, `properties` (recursively), `additionalProperties` (false or a
// schema), `items`, `anyOf`, `oneOf` (as anyOf) and `allOf`. Formats, lengths and ranges are not
// checked. Returns "" when `v` conforms, else the JSON pointer of the first mismatch and why.
inline std::string SchemaMismatch(const json& doc, const json& schema, const json& v, const std::string& at = "") {
  const std::string here = at.empty() ? "/" : at;
  if (!schema.is_object()) return "";
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"].get<std::string>();
    const std::string prefix = "#/components/schemas/";
    if (ref.rfind(prefix, 0) != 0 || !doc["components"]["schemas"].contains(ref.substr(prefix.size()))) {
      return here + ": unresolved $ref " + ref;
    }
    if (std::string why = SchemaMismatch(doc, doc["components"]["schemas"][ref.substr(prefix.size())], v, at); !why.empty()) return why;
  }
  if (schema.contains("type")) {
    auto is = [&](const std::string& t) {
      if (t == "object") return v.is_object();
      if (t == "array") return v.is_array();
      if (t == "string") return v.is_string();
      if (t == "integer") return v.is_number_integer() || (v.is_number_float() && v.get<double>() == std::floor(v.get<double>()));
      if (t == "number") return v.is_number();
      if (t == "boolean") return v.is_boolean();
      if (t == "null") return v.is_null();
      return false;
    };
    const json& t = schema["type"];
    bool ok = t.is_string() ? is(t.get<std::string>()) : std::any_of(t.begin(), t.end(), [&](const json& n) { return is(n.get<std::string>()); });
    if (!ok) return here + ": expected type " + t.dump() + ", got " + v.dump().substr(0, 120);
  }
  if (schema.contains("enum") && std::find(schema["enum"].begin(), schema["enum"].end(), v) == schema["enum"].end()) {
    return here + ": " + v.dump().substr(0, 80) + " is not one of " + schema["enum"].dump().substr(0, 200);
  }
  if (schema.contains("const") && schema["const"] != v) return here + ": expected " + schema["const"].dump() + ", got " + v.dump().substr(0, 80);
  if (v.is_object()) {
    for (const auto& name : schema.value("required", json::array())) {
      if (!v.contains(name.get<std::string>())) return here + ": the required property '" + name.get<std::string>() + "' is missing";
    }
    const json props = schema.value("properties", json::object());
    for (const auto& [k, sub] : v.items()) {
      std::string key = k;  // a JSON pointer escapes ~ and /
      for (size_t p = 0; (p = key.find('~', p)) != std::string::npos; p += 2) key.replace(p, 1, "~0");
      for (size_t p = 0; (p = key.find('/', p)) != std::string::npos; p += 2) key.replace(p, 1, "~1");
      if (props.contains(k)) {
        if (std::string why = SchemaMismatch(doc, props[k], sub, at + "/" + key); !why.empty()) return why;
      } else if (schema.contains("additionalProperties")) {
        const json& extra = schema["additionalProperties"];
        if (extra.is_boolean() && !extra.get<bool>()) return at + "/" + key + ": a property the schema does not allow (additionalProperties: false)";
        if (std::string why = SchemaMismatch(doc, extra, sub, at + "/" + key); !why.empty()) return why;
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (std::string why = SchemaMismatch(doc, schema["items"], v[i], at + "/" + std::to_string(i)); !why.empty()) return why;
    }
  }
  for (const char* key : {"anyOf", "oneOf"}) {
    if (!schema.contains(key)) continue;
    std::string first;
    bool any = false;
    for (const auto& alt : schema[key]) {
      std::string why = SchemaMismatch(doc, alt, v, at);
      if (why.empty()) any = true;
      else if (first.empty()) first = why;
    }
    if (!any) return here + ": matches none of " + key + " (the first: " + first + ")";
  }
  for (const auto& part : schema.value("allOf", json::array())) {
    if (std::string why = SchemaMismatch(doc, part, v, at); !why.empty()) return why;
  }
  return "";
}

// What the OpenAPI document says of the route a request matched (none: the router's own 404/405):
// the reply's status is one it lists (a 2xx exactly; a 4xx exactly or under 4XX), a body the
// server took came as one of the media types it lists, a success reply has the media type it
// documents, and a JSON success body conforms to the documented schema (SchemaMismatch).
inline void CheckDocumented(const json& doc, const Router& router, const std::string& method, const std::string& target,
                            const std::string& content_type, bool sent_body, const testing::HttpReply& r, const std::string& where) {
  const std::string path = target.substr(0, target.find('?'));
  auto m = router.Find(method, path);
  if (m.route == nullptr) return;
  std::string lower = method;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  const json& op = doc["paths"][m.route->pattern][lower];
  const json& responses = op["responses"];
  const std::string code = std::to_string(r.status);
  const std::string what = where + ": " + method + " " + m.route->pattern + " answered " + code;
  const bool listed = responses.contains(code) || (r.status >= 400 && r.status < 500 && responses.contains("4XX"));
  EXPECT_TRUE(listed) << what << ", a status the OpenAPI document does not list for it";
  if (r.status < 200 || r.status >= 300 || !listed) return;
  if (sent_body && op.contains("requestBody")) {
    const json& content = op["requestBody"]["content"];
    const std::string ct = content_type.substr(0, content_type.find(';'));
    EXPECT_TRUE(content.contains(ct) || content.contains("*/*")) << what << " to a body of " << ct << ", which the document does not list";
  }
  if (responses[code].contains("content")) {
    const json& content = responses[code]["content"];
    const std::string got = r.header("Content-Type").substr(0, r.header("Content-Type").find(';'));
    EXPECT_TRUE(content.contains(got) || content.contains("*/*")) << what << " with " << got << ", not the documented " << content.dump().substr(0, 120);
    if (got == "application/json" && content.contains("application/json")) {
      const json body = json::parse(r.body, nullptr, false);
      const std::string why = SchemaMismatch(doc, content["application/json"].value("schema", json::object()), body);
      EXPECT_TRUE(why.empty()) << what << ": the body does not match the documented schema at " << why << "\n  body: " << r.body.substr(0, 400);
    }
  }
}

// Runs every *.json file of `dir` (relative to the source tree) against a fresh server on
// `backend`, each file from a fresh pair of tenants.
inline void RunCaseFiles(TestBackend backend, const std::string& dir) {
  const std::string src = testing::SourceDir();
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(src) + "/" + dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 1u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    testing::ServerFixture f(backend);  // every file starts from a fresh pair of tenants
    std::map<std::string, std::string> vars = {
        {"unit_a", std::to_string(f.acme.unit_a)},   {"unit_b", std::to_string(f.acme.unit_b)},
        {"store_a", std::to_string(f.acme.store_a)}, {"product", std::to_string(f.acme.product)},
        {"hq", std::to_string(f.acme.hq)},           {"region", std::to_string(f.acme.region)},
        {"store_unit_a", std::to_string(f.acme.store_unit_a)},
        {"rival_product", std::to_string(f.rival.product)}, {"port", std::to_string(f.port)}};
    for (const auto& [u, id] : f.acme.users) vars["user." + u] = std::to_string(id);
    // A minute ago, and today's date in the tenant's zone (Asia/Shanghai).
    const int64_t now_ms = TestClock().NowMs(), local_day = (now_ms + 8 * 3600000LL) / 86400000;
    vars["now"] = FormatTimestamp(std::max<int64_t>(now_ms - 60000, local_day * 86400000 - 8 * 3600000LL + 1000));
    vars["today"] = FormatDate(local_day);
    vars["this_month"] = vars["today"].substr(0, 7);
    vars["in_a_week"] = FormatTimestamp(now_ms + 7 * 86400000LL);
    std::ifstream in(file);
    json steps = json::parse(in);
    const json doc = f.api->OpenApi();
    testing::HttpClient client(f.port);
    int n = 0;
    for (const auto& step : steps) {
      ++n;
      std::string name = step.value("name", "step " + std::to_string(n));
      if (step.value("catch_up", false)) {
        // The metric engine applies events asynchronously; this step waits until it has.
        ASSERT_TRUE(f.metrics->CatchUp(f.acme.tenant).ok()) << name;
        continue;
      }
      if (step.value("wait_jobs", false)) {
        // AI jobs run on the service's worker; this step waits until it is idle.
        ASSERT_TRUE(f.ai->WaitIdle(120000)) << name;
        continue;
      }
      if (step.value("wait_text", false)) {
        // The text service analyses new notes and feedback on its worker; this step drains it.
        ASSERT_TRUE(f.text->ProcessNow(f.acme.tenant).ok()) << name;
        continue;
      }
      if (step.contains("outbound_allow")) {
        auto allow = net::ParseCidrs(step["outbound_allow"].get<std::vector<std::string>>());
        ASSERT_TRUE(allow.ok()) << name << ": " << allow.status().ToString();
        f.outbound.SetAllowList(*allow);
        continue;
      }
      if (step.value("evaluate_alerts", false)) {
        ASSERT_TRUE(f.metrics->CatchUp(f.acme.tenant).ok()) << name;
        ASSERT_TRUE(f.alerts->EvaluateNow(f.acme.tenant).ok()) << name;
        continue;
      }
      std::string as = step.value("as", "admin");
      std::string token;
      if (as.rfind("rival:", 0) == 0) token = f.rival_tokens.at(as.substr(6));
      else if (as.rfind("token:", 0) == 0) token = vars.at(as.substr(6));
      else if (as != "none") token = f.tokens.at(as);
      std::string path = Substitute(step.at("path"), vars);
      std::string body;
      if (step.contains("body")) body = SubstituteJson(step["body"], vars).dump();
      if (step.contains("raw_body")) body = Substitute(step["raw_body"].get<std::string>(), vars);
      if (step.contains("raw_body_hex")) body = Unhex(step["raw_body_hex"].get<std::string>());
      std::vector<std::pair<std::string, std::string>> headers;
      if (step.contains("headers")) {
        for (auto& [h, v] : step["headers"].items()) {
          if (v.is_array()) {  // the header repeated, one line a value (e.g. a proxy's X-Forwarded-For)
            for (const auto& line : v) headers.emplace_back(h, Substitute(line.get<std::string>(), vars));
          } else {
            headers.emplace_back(h, Substitute(v.get<std::string>(), vars));
          }
        }
      }
      const int64_t rss_before = ResidentKb();
      const int times = step.value("repeat", 1);
      testing::HttpReply r;
      for (int k = 0; k < times; ++k) {
        r = client.Send(step.value("method", "GET"), path, body, token, step.value("content_type", "application/json"), headers);
      }
      if (step.contains("max_rss_growth_mb")) {
        const int64_t grown_kb = ResidentKb() - rss_before;
        EXPECT_LE(grown_kb, step["max_rss_growth_mb"].get<int64_t>() * 1024)
            << file.filename() << " / " << name << ": the server's resident set grew by " << grown_kb / 1024 << " MiB";
        std::printf("[ rss      ] %s / %s: +%lld KiB (now %lld MiB)\n", file.filename().c_str(), name.c_str(),
                    static_cast<long long>(grown_kb), static_cast<long long>(ResidentKb() / 1024));
      }
      json got = r.json();
      EXPECT_EQ(r.status, step.at("status").get<int>()) << file.filename() << " / " << name << ": " << r.body.substr(0, 500);
      CheckDocumented(doc, f.api->router(), step.value("method", "GET"), path, step.value("content_type", "application/json"), !body.empty(), r,
                      file.filename().string() + " / " + name);
      if (step.contains("expect")) {
        std::string why;
        EXPECT_TRUE(Matches(SubstituteJson(step["expect"], vars), got, "$", &why))
            << file.filename() << " / " << name << ": " << why;
      }
      for (const auto& text : step.value("contains", json::array())) {
        std::string t = Substitute(text.get<std::string>(), vars);
        EXPECT_NE(r.body.find(t), std::string::npos) << file.filename() << " / " << name << ": the reply lacks '" << t << "': " << r.body.substr(0, 500);
      }
      for (const auto& text : step.value("absent", json::array())) {
        std::string t = Substitute(text.get<std::string>(), vars);
        EXPECT_EQ(r.body.find(t), std::string::npos) << file.filename() << " / " << name << ": the reply shows '" << t << "'";
      }
      if (step.contains("body_excludes")) {
        for (const auto& secret : step["body_excludes"]) {
          const std::string s = Substitute(secret.get<std::string>(), vars);
          EXPECT_EQ(r.body.find(s), std::string::npos) << file.filename() << " / " << name << ": the reply contains '" << s << "'";
        }
      }
      if (step.contains("expect_raw")) {
        EXPECT_EQ(r.body, Substitute(step["expect_raw"].get<std::string>(), vars)) << file.filename() << " / " << name;
      }
      if (step.contains("expect_headers")) {
        for (auto& [h, v] : step["expect_headers"].items()) {
          EXPECT_EQ(r.header(h), Substitute(v.get<std::string>(), vars)) << file.filename() << " / " << name << ": header " << h;
        }
      }
      if (r.status >= 400) {
        // Every error has the same shape: code, en and zh messages, request id.
        EXPECT_TRUE(got["error"]["code"].is_string()) << name;
        EXPECT_TRUE(got["error"]["message"].is_string()) << name;
        EXPECT_TRUE(got["error"]["message_zh"].is_string()) << name;
        EXPECT_LT(r.status, 500) << name;
      }
      if (step.contains("save")) {
        for (auto& [var, pointer] : step["save"].items()) {
          json v = got.value(json::json_pointer(pointer.get<std::string>()), json());
          vars[var] = v.is_string() ? v.get<std::string>() : v.dump();
        }
      }
    }
  }
}

}  // namespace keel::http::cases
