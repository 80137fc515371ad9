// Data-driven API tests: every file in tests/http/cases/ is a list of steps
//   {"name", "as": "<acme user>|rival:<user>|none", "method", "path", "body", "status",
//    "expect": <subset of the reply>, "save": {"var": "json/pointer"}}
// run in order against a real server, on both backends. "${var}" in a path or a body string
// is replaced by a saved value or a fixture id (${unit_a}, ${store_a}, ${product},
// ${user.rep_a1}, ${now}, ${today}, ${this_month}; object keys too). {"wait_text": true} makes the text service analyse what is new. A step {"catch_up": true} waits for the metric engine to apply all events,
// {"evaluate_alerts": true} also evaluates every alert rule now; {"wait_jobs": true} waits for
// the AI service's background jobs;
// "content_type" sends raw_body as e.g. application/yaml. "expect_raw" compares a non-JSON reply's body
// (a downloaded file) byte for byte, "expect_headers" {name: value} the reply's headers. In "expect", "<any>" matches anything, "<nonempty>" any non-empty value,
// objects match as subsets and arrays element by element ("<len:N>" checks a length).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "http/server_fixture.h"

namespace keel::http {
namespace {

using testing::TestBackend;

std::string Substitute(std::string s, const std::map<std::string, std::string>& vars) {
  static const std::regex re("\\$\\{([a-zA-Z0-9_.]+)\\}");
  std::smatch m;
  std::string out;
  while (std::regex_search(s, m, re)) {
    auto it = vars.find(m[1]);
    out += m.prefix().str() + (it == vars.end() ? "<undefined " + m[1].str() + ">" : it->second);
    s = m.suffix().str();
  }
  return out + s;
}

// Numbers substituted into JSON strings that are whole placeholders become numbers.
json SubstituteJson(const json& j, const std::map<std::string, std::string>& vars) {
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

bool Matches(const json& expect, const json& got, const std::string& at, std::string* why) {
  if (expect.is_string()) {
    const std::string& e = expect.get_ref<const std::string&>();
    if (e == "<any>") return true;
    if (e == "<nonempty>") {
      bool ok = !got.is_null() && !(got.is_string() && got.get<std::string>().empty()) &&
                !(got.is_array() && got.empty());
      if (!ok) *why = at + ": expected a non-empty value, got " + got.dump();
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

class CasesTest : public ::testing::TestWithParam<TestBackend> {};

TEST_P(CasesTest, RequestResponseFiles) {
  const std::string src = testing::SourceDir();
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::string(src) + "/tests/http/cases")) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 4u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.filename().string());
    testing::ServerFixture f(GetParam());  // every file starts from a fresh pair of tenants
    std::map<std::string, std::string> vars = {
        {"unit_a", std::to_string(f.acme.unit_a)},   {"unit_b", std::to_string(f.acme.unit_b)},
        {"store_a", std::to_string(f.acme.store_a)}, {"product", std::to_string(f.acme.product)},
        {"hq", std::to_string(f.acme.hq)},           {"region", std::to_string(f.acme.region)},
        {"store_unit_a", std::to_string(f.acme.store_unit_a)},
        {"rival_product", std::to_string(f.rival.product)}};
    for (const auto& [u, id] : f.acme.users) vars["user." + u] = std::to_string(id);
    // A minute ago, and today's date in the tenant's zone (Asia/Shanghai).
    const int64_t now_ms = Clock::System()->NowMs(), local_day = (now_ms + 8 * 3600000LL) / 86400000;
    vars["now"] = FormatTimestamp(std::max<int64_t>(now_ms - 60000, local_day * 86400000 - 8 * 3600000LL + 1000));
    vars["today"] = FormatDate(local_day);
    vars["this_month"] = vars["today"].substr(0, 7);
    vars["in_a_week"] = FormatTimestamp(now_ms + 7 * 86400000LL);
    std::ifstream in(file);
    json steps = json::parse(in);
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
      auto r = client.Send(step.value("method", "GET"), path, body, token, step.value("content_type", "application/json"));
      json got = r.json();
      EXPECT_EQ(r.status, step.at("status").get<int>()) << file.filename() << " / " << name << ": " << r.body.substr(0, 500);
      if (step.contains("expect")) {
        std::string why;
        EXPECT_TRUE(Matches(SubstituteJson(step["expect"], vars), got, "$", &why))
            << file.filename() << " / " << name << ": " << why;
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

INSTANTIATE_TEST_SUITE_P(Backends, CasesTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
