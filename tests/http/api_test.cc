// HTTP behaviour that is not request → response data: the OpenAPI document in sync with the
// router, transport limits, malformed input, keep-alive, request ids and graceful shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <boost/asio.hpp>

#include "http/openapi.h"
#include "http/server_fixture.h"

namespace keel::http {
namespace {

using testing::HttpClient;
using testing::TestBackend;

class ApiTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override { f_ = std::make_unique<testing::ServerFixture>(GetParam()); }
  std::unique_ptr<testing::ServerFixture> f_;
};

TEST_P(ApiTest, OpenApiDocumentMatchesTheRouterAndTheCheckedInCopy) {
  HttpClient c(f_->port);
  auto r = c.Get("/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  json doc = r.json();
  ASSERT_EQ(doc["openapi"], "3.1.0");
  // Every route is documented, and every documented operation is served by a route.
  size_t ops = 0;
  std::set<std::string> ids, tags;
  for (const auto& route : f_->api->router().routes()) {
    std::string m = route.method;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    ASSERT_TRUE(doc["paths"].contains(route.pattern)) << route.pattern;
    ASSERT_TRUE(doc["paths"][route.pattern].contains(m)) << route.method << " " << route.pattern;
    EXPECT_EQ(route.pattern.rfind("/api/v1/", 0), 0u) << route.pattern;
  }
  for (auto& [path, methods] : doc["paths"].items()) {
    for (auto& [method, op] : methods.items()) {
      ++ops;
      std::string concrete = path;
      for (size_t p; (p = concrete.find("{id}")) != std::string::npos;) concrete.replace(p, 4, "1");
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      EXPECT_NE(f_->api->router().Find(upper, concrete).route, nullptr) << upper << " " << path;
      EXPECT_FALSE(op["summary"].get<std::string>().empty());
      EXPECT_FALSE(op["description"].get<std::string>().empty()) << "zh summary missing for " << path;
      EXPECT_TRUE(op["responses"].contains("4XX"));
      ASSERT_EQ(op["tags"].size(), 1u) << path;
      EXPECT_TRUE(op.contains("security")) << path;
      // Stable camelCase operation ids, unique across the document (docs/api.md).
      const std::string id = op.value("operationId", "");
      EXPECT_TRUE(std::regex_match(id, std::regex("^[a-z][A-Za-z0-9]{2,60}$"))) << method << " " << path << ": '" << id << "'";
      EXPECT_TRUE(ids.insert(id).second) << "operationId " << id << " is used twice (" << method << " " << path << ")";
      tags.insert(op["tags"][0].get<std::string>());
    }
  }
  EXPECT_EQ(ops, f_->api->router().routes().size());
  // The ids integrators and generated clients rely on (docs/api.md: they do not change).
  for (const char* id : {"listActivities", "getActivity", "createCustomer", "updateOpportunity", "deleteLead", "approveApproval",
                         "submitQuote", "login", "getMe", "queryMetrics", "openEventStream", "ingestEvents", "listBudgetTransfers",
                         "listBudgetTransfersDeprecated", "uploadAiDataset", "acknowledgeAlert"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
  // Every tag is declared, with a description, and grouped under one part.
  std::set<std::string> declared, grouped;
  for (const auto& t : doc["tags"]) {
    declared.insert(t["name"].get<std::string>());
    EXPECT_FALSE(t.value("description", "").empty()) << t["name"];
  }
  for (const auto& g : doc["x-tagGroups"]) {
    for (const auto& t : g["tags"]) EXPECT_TRUE(grouped.insert(t.get<std::string>()).second) << t << " is in two parts";
  }
  EXPECT_EQ(declared, tags);
  EXPECT_EQ(grouped, tags);
  // JSON Schema 2020-12 throughout: OpenAPI 3.0's `nullable` appears nowhere.
  EXPECT_EQ(doc.dump().find("\"nullable\""), std::string::npos);
  EXPECT_TRUE(doc["info"]["license"].contains("name"));
  // Every entity schema lists its fields.
  for (const auto& e : domain::Entities()) {
    const std::string title = EntityTitle(e);
    for (const auto& fd : e.fields) EXPECT_TRUE(doc["components"]["schemas"][title]["properties"].contains(fd.name)) << title << "." << fd.name;
    EXPECT_FALSE(doc["components"]["schemas"][title]["examples"].empty()) << title;
    EXPECT_FALSE(doc["components"]["schemas"][title + "Update"].contains("required")) << title;
  }
  // Every success body is described: no bare {"type": "object"} (nor one that allows anything)
  // except where the body is genuinely the caller's or another document, listed with the reason.
  const std::map<std::string, std::string> free_form = {
      {"get /api/v1/openapi.json", "the body is the OpenAPI document itself"}};
  std::set<std::string> bare;
  for (auto& [path, methods] : doc["paths"].items()) {
    for (auto& [method, op] : methods.items()) {
      if (op.value("deprecated", false)) continue;  // an alias: its successor is checked
      for (auto& [status, response] : op["responses"].items()) {
        if (status.empty() || status[0] != '2' || !response.contains("content") || !response["content"].contains("application/json")) continue;
        const json& schema = response["content"]["application/json"]["schema"];
        const bool described = schema.contains("properties") || schema.contains("$ref") || schema.contains("anyOf") ||
                               (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) ||
                               schema.value("type", "") != "object";
        if (!described) bare.insert(method + " " + path);
      }
    }
  }
  for (const auto& op : bare) EXPECT_TRUE(free_form.count(op)) << op << " documents its success body as a bare object: describe it";
  for (const auto& [op, why] : free_form) EXPECT_TRUE(bare.count(op)) << op << " is described now (" << why << "): drop it from the list";
  // docs/openapi.json is the served document (regenerate: see docs/api.md).
  const std::string src = testing::SourceDir();
  std::ifstream in(std::string(src) + "/docs/openapi.json");
  ASSERT_TRUE(in.good()) << "docs/openapi.json is missing";
  json checked_in = json::parse(in, nullptr, false);
  EXPECT_EQ(checked_in, doc) << "docs/openapi.json is stale: run `curl -s localhost:8080/api/v1/openapi.json | python3 -m json.tool --indent 1 > docs/openapi.json`";
}

// The document's security requirements are the server's: a route that needs a bearer token
// refuses a request without one (401), a public one does not.
TEST_P(ApiTest, DocumentedSecurityIsWhatTheServerAsks) {
  json doc = f_->api->OpenApi();
  HttpClient c(f_->port);
  size_t checked = 0;
  for (const auto& route : f_->api->router().routes()) {
    std::string m = route.method;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    const json& op = doc["paths"][route.pattern][m];
    const bool bearer = !op["security"].empty();
    std::string path = std::regex_replace(route.pattern, std::regex("\\{[a-z_]+\\}"), "1");
    auto r = c.Send(route.method, path, route.method == "GET" || route.method == "DELETE" ? "" : "{}", "");
    if (bearer) {
      EXPECT_EQ(r.status, 401) << route.method << " " << route.pattern << " is documented as needing a token: " << r.body.substr(0, 200);
    } else {
      EXPECT_NE(r.status, 401) << route.method << " " << route.pattern << " is documented as public: " << r.body.substr(0, 200);
    }
    ++checked;
  }
  EXPECT_GT(checked, 250u);
}

namespace {

// A body of `media_type` the server can parse at least as far as its media type.
std::string SampleBody(const std::string& media_type) {
  if (media_type == "application/json") return "{}";
  if (media_type == "application/yaml") return "name: x\n";
  if (media_type == "text/markdown") return "# 标题\n正文";
  if (media_type == "text/csv") return "a,b\n1,2\n";
  if (media_type == "application/x-ndjson") return "{\"type\":\"x\"}\n";
  return "x";
}

// A path of `route` with each parameter filled: names for {name}, a token for {token}, ids else.
std::string Concrete(const std::string& pattern) {
  std::string p = std::regex_replace(pattern, std::regex("\\{name\\}"), "x");
  p = std::regex_replace(p, std::regex("\\{token\\}"), "t");
  return std::regex_replace(p, std::regex("\\{[a-z_]+\\}"), "1");
}

// An error reply's code and field ("" when the reply is not an error).
std::string ErrorCode(const testing::HttpReply& r) {
  json j = r.json();
  return j.is_object() && j.contains("error") && j["error"].is_object() ? j["error"].value("code", "") : "";
}
std::string ErrorField(const testing::HttpReply& r) {
  json j = r.json();
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object() || !j["error"]["field"].is_string()) return "";
  return j["error"]["field"].get<std::string>();
}

// The top-level field an error names: "steps[0].approvers" → "steps", "trigger.on" → "trigger".
std::string TopField(const std::string& field) { return field.substr(0, field.find_first_of(".[@")); }

}  // namespace

// The request media types the document lists are the ones the server takes: a body of a listed
// type gets past the media-type check, a body of any other type is refused for its type.
TEST_P(ApiTest, DocumentedRequestMediaTypesAreTheOnesTheServerTakes) {
  json doc = f_->api->OpenApi();
  HttpClient c(f_->port);
  const std::string& t = f_->tokens["admin"];
  size_t checked = 0;
  for (const auto& route : f_->api->router().routes()) {
    std::string m = route.method;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    const json& op = doc["paths"][route.pattern][m];
    if (!op.contains("requestBody") || route.deprecated()) continue;
    const json& content = op["requestBody"]["content"];
    std::string path = Concrete(route.pattern);
    // Required query parameters get a value: the body's media type is what is under test.
    for (const auto& p : op.value("parameters", json::array())) {
      if (p.contains("$ref")) continue;  // the shared limit/after: never required
      if (p["in"] == "query" && p["required"].get<bool>()) path += (path.find('?') == std::string::npos ? "?" : "&") + p["name"].get<std::string>() + "=x";
    }
    const std::string where = route.method + " " + route.pattern;
    for (auto& [media_type, _] : content.items()) {
      if (media_type == "*/*") continue;
      auto r = c.Send(route.method, path, SampleBody(media_type), route.doc.auth ? t : "", media_type);
      EXPECT_NE(ErrorCode(r), "http.unsupported_media_type") << where << " refused documented " << media_type;
      EXPECT_LT(r.status, 500) << where << ": " << r.body.substr(0, 200);
    }
    if (!content.contains("*/*")) {
      auto r = c.Send(route.method, path, "a=1", route.doc.auth ? t : "", "application/x-www-form-urlencoded");
      EXPECT_EQ(ErrorCode(r), "http.unsupported_media_type")
          << where << " took an undocumented media type: " << r.status << " " << r.body.substr(0, 200);
    }
    ++checked;
  }
  EXPECT_GT(checked, 100u);
}

// The required fields the document lists are the ones the server asks for: an empty body is
// refused naming a documented required field (or a required query parameter), and a route whose
// document requires nothing never asks for a field of an empty body.
TEST_P(ApiTest, DocumentedRequiredFieldsAreTheOnesTheServerAsksFor) {
  json doc = f_->api->OpenApi();
  HttpClient c(f_->port);
  const std::string& t = f_->tokens["admin"];
  size_t checked = 0;
  for (const auto& route : f_->api->router().routes()) {
    if (route.deprecated() || route.pattern.find('{') != std::string::npos) continue;  // ids: the record decides first
    std::string m = route.method;
    std::transform(m.begin(), m.end(), m.begin(), ::tolower);
    const json& op = doc["paths"][route.pattern][m];
    std::set<std::string> required;
    for (const auto& p : op.value("parameters", json::array())) {
      if (p.contains("$ref")) continue;  // the shared limit/after: never required
      if (p["in"] == "query" && p["required"].get<bool>()) required.insert(p["name"].get<std::string>());
    }
    std::string body;
    if (op.contains("requestBody")) {
      const json& content = op["requestBody"]["content"];
      if (!content.contains("application/json")) continue;  // a file or CSV: its own checks
      const json& schema = content["application/json"]["schema"];
      if (schema.value("type", "") != "object") continue;  // a batch (an array), a $ref to an entity: below
      for (const auto& f : schema.value("required", json::array())) required.insert(f.get<std::string>());
      // "one of these": {anyOf: [{required: [ends_at]}, {required: [duration]}]}
      for (const auto& alt : schema.value("anyOf", json::array())) {
        for (const auto& f : alt.value("required", json::array())) required.insert(f.get<std::string>());
      }
      body = "{}";
    } else if (required.empty()) {
      continue;
    }
    auto r = c.Send(route.method, route.pattern, body, route.doc.auth ? t : "");
    const std::string where = route.method + " " + route.pattern + " → " + std::to_string(r.status) + " " + r.body.substr(0, 200);
    const std::string code = ErrorCode(r);
    const std::string field = ErrorField(r);
    if (!required.empty()) {
      EXPECT_GE(r.status, 400) << where << ": an empty request was taken although the document requires " << *required.begin();
      if (code.rfind("validation.", 0) == 0 && !field.empty()) {
        EXPECT_TRUE(required.count(TopField(field))) << where << ": the server asks for '" << field << "', which the document does not require";
      }
    } else {
      EXPECT_NE(code, "validation.required") << where << ": the server requires '" << field << "', which the document does not say";
    }
    ++checked;
  }
  // Entity creation: the schema's required fields are the record service's.
  for (const auto& e : domain::Entities()) {
    auto r = c.Send("POST", "/api/v1/" + e.UrlSegment(), "{}", t);
    const json& schema = doc["components"]["schemas"][EntityTitle(e)];
    std::set<std::string> required;
    for (const auto& f : schema["required"]) required.insert(f.get<std::string>());
    for (const auto& alt : schema.value("anyOf", json::array())) {
      for (const auto& f : alt.value("required", json::array())) required.insert(f.get<std::string>());
    }
    const std::string field = ErrorField(r);
    if (ErrorCode(r) == "validation.required") {
      EXPECT_TRUE(required.count(TopField(field))) << e.name << ": the server asks for '" << field << "', not a documented required field";
    }
    if (!required.empty()) {
      EXPECT_GE(r.status, 400) << e.name;
    }
    ++checked;
  }
  EXPECT_GT(checked, 45u);
}

TEST_P(ApiTest, RouteSegmentsAreKebabCaseAndOldSpellingsAreDeprecatedAliases) {
  const Router& router = f_->api->router();
  size_t aliases = 0;
  for (const auto& route : router.routes()) {
    if (route.deprecated()) {
      // An old spelling answers with the canonical route's handler, under the same method.
      ++aliases;
      std::string concrete = route.successor;
      for (size_t p; (p = concrete.find("{id}")) != std::string::npos;) concrete.replace(p, 4, "1");
      auto m = router.Find(route.method, concrete);
      ASSERT_NE(m.route, nullptr) << route.method << " " << route.pattern << " → " << route.successor;
      EXPECT_EQ(m.route->pattern, route.successor);
      EXPECT_FALSE(m.route->deprecated());
      EXPECT_NE(route.pattern, route.successor);
      continue;
    }
    for (const auto& seg : route.segments) {
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') continue;  // a parameter's name
      EXPECT_TRUE(!seg.empty() && std::all_of(seg.begin(), seg.end(), [](char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.';
      })) << route.method << " " << route.pattern << ": segment '" << seg << "' is not kebab-case";
    }
  }
  // budget_transfers, price_changes, case_reviews, custom_fields: list, create, get, update, archive.
  EXPECT_EQ(aliases, 4u * 5u);
  // The same request by either spelling gets the same reply; only the old one says it is deprecated.
  HttpClient c(f_->port);
  const std::string& t = f_->tokens["admin"];
  auto now = c.Get("/api/v1/custom-fields?entity=customers", t);
  auto old = c.Get("/api/v1/custom_fields?entity=customers", t);
  ASSERT_EQ(now.status, 200);
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(old.json(), now.json());
  EXPECT_EQ(now.header("Deprecation"), "");
  EXPECT_EQ(now.header("Link"), "");
  EXPECT_EQ(old.header("Deprecation"), "@1796601600");
  EXPECT_EQ(old.header("Link"), "</api/v1/custom-fields>; rel=\"successor-version\"");
  auto missing = c.Get("/api/v1/case_reviews/999999", t);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("Deprecation"), "@1796601600");
  EXPECT_EQ(missing.header("Link"), "</api/v1/case-reviews/999999>; rel=\"successor-version\"");
  // The path's own bytes go into the Link header encoded: no header can be smuggled in.
  auto smuggled = c.Get("/api/v1/case_reviews/1%0D%0AX-Evil:%20yes", t);
  EXPECT_EQ(smuggled.status, 404);
  EXPECT_EQ(smuggled.header("X-Evil"), "");
  EXPECT_EQ(smuggled.header("Link"), "</api/v1/case-reviews/1%0D%0AX-Evil%3A%20yes>; rel=\"successor-version\"");
}

// The list contract (docs/api.md, "Lists") on every paged collection route without path
// parameters: limit and after are checked with the same error everywhere; limit=1 walked with
// next_after visits exactly the whole list, in the same order, once each; the last page carries
// no next_after; a bounded set also refuses parameters it does not document.
TEST_P(ApiTest, EveryPagedListKeepsTheListContract) {
  HttpClient c(f_->port);
  const std::string& t = f_->tokens["admin"];
  // Records in an entity list, so that walking it takes several pages (the built-in metrics
  // fill a bounded set).
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(c.Post("/api/v1/customers", {{"code", "PG-" + std::to_string(i)}, {"name", "分页客户" + std::to_string(i)}, {"kind", "b2b"}}, t).status, 201);
  }
  size_t lists = 0, walked = 0;
  for (const auto& route : f_->api->router().routes()) {
    if (route.method != "GET" || route.deprecated() || route.doc.paging.kind == http::Paging::Kind::kNone) continue;
    if (route.pattern.find('{') != std::string::npos) continue;  // needs a record: covered by the case files
    const std::string base = route.pattern, where = "GET " + base;
    ++lists;
    for (const std::string bad : {"0", "501", "x"}) {
      auto r = c.Get(base + "?limit=" + bad, t);
      EXPECT_EQ(r.status, 400) << where << " limit=" << bad;
      EXPECT_EQ(ErrorCode(r) + "@" + ErrorField(r), "validation.parameter@limit") << where << ": " << r.body.substr(0, 200);
    }
    if (route.doc.paging.kind == http::Paging::Kind::kInMemory) {
      auto r = c.Get(base + "?no_such_parameter=1", t);
      EXPECT_EQ(ErrorCode(r) + "@" + ErrorField(r), "validation.parameter@no_such_parameter") << where;
    }
    auto whole = c.Get(base + "?limit=500", t);
    ASSERT_EQ(whole.status, 200) << where << ": " << whole.body.substr(0, 200);
    // Items are compared by their key: background work (rescoring, analysis) may change other
    // fields of a record between two requests.
    const std::string key = route.doc.paging.kind == http::Paging::Kind::kInMemory ? route.doc.paging.key : "id";
    const json whole_body = whole.json();
    json all = json::array();
    for (const auto& item : whole_body["items"]) all.push_back(item.value(key, json()));
    EXPECT_FALSE(whole_body.contains("next_after")) << where << ": one page holds it all";
    if (all.size() < 2) continue;
    ++walked;
    json seen = json::array();
    std::string after;
    for (size_t pages = 0; pages <= all.size(); ++pages) {
      auto r = c.Get(base + "?limit=1" + (after.empty() ? "" : "&after=" + after), t);
      ASSERT_EQ(r.status, 200) << where << " after=" << after << ": " << r.body.substr(0, 200);
      json page = r.json();
      ASSERT_LE(page["items"].size(), 1u) << where;
      for (auto& item : page["items"]) seen.push_back(item.value(key, json()));
      if (!page.contains("next_after")) break;
      const json& next = page["next_after"];
      after = next.is_string() ? next.get<std::string>() : next.dump();
    }
    EXPECT_EQ(seen, all) << where << ": the pages, in order, are the whole list";
  }
  EXPECT_GE(lists, 30u) << "the entity lists and the bounded sets";
  EXPECT_GE(walked, 2u) << "at least the seeded lists were walked page by page";
}

// RFC 4180 rows of a CSV text (quoted fields may hold commas, quotes and line breaks).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
      else if (ch == '"') quoted = false;
      else field += ch;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      rows.back().push_back(std::move(field));
      field.clear();
    } else if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.back().push_back(std::move(field));
      field.clear();
      rows.emplace_back();
      ++i;
    } else {
      field += ch;
    }
  }
  if (!rows.back().empty() || !field.empty()) rows.back().push_back(field);
  else rows.pop_back();
  return rows;
}

// Aggregates and exports see exactly what the list shows (docs/api.md): for every collection, as
// people of different reach (the whole tenant, a team, one rep) — the aggregate's count is the
// number of records the list walks, the export holds the same ids, and a list refused is an
// aggregate and an export refused.
TEST_P(ApiTest, EveryCollectionAggregatesAndExportsWhatItLists) {
  HttpClient c(f_->port);
  const auto& users = f_->acme.users;
  // Deals of two reps, so that a rep, their supervisor and the admin see different sets.
  std::map<std::string, int64_t> customer;
  for (const std::string rep : {"rep_a1", "rep_a2"}) {
    auto r = c.Post("/api/v1/customers", {{"code", "AGG-" + rep}, {"name", "汇总客户 " + rep}, {"kind", "b2b"}}, f_->tokens[rep]);
    ASSERT_EQ(r.status, 201) << r.body;
    customer[rep] = r.json()["id"].get<int64_t>();
  }
  for (const auto& [rep, amount] : std::vector<std::pair<std::string, int>>{{"rep_a1", 1000}, {"rep_a1", 2500}, {"rep_a2", 700}}) {
    auto r = c.Post("/api/v1/opportunities", {{"name", "汇总商机 " + rep + " " + std::to_string(amount)}, {"amount", amount},
                                              {"customer_id", customer[rep]}}, f_->tokens[rep]);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  size_t collections = 0, compared = 0;
  for (const auto& route : f_->api->router().routes()) {
    const std::string suffix = "/aggregate";
    if (route.method != "GET" || route.deprecated() || route.pattern.size() <= suffix.size() ||
        route.pattern.compare(route.pattern.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string base = route.pattern.substr(0, route.pattern.size() - suffix.size());
    ++collections;
    for (const std::string who : {"admin", "sup_a", "rep_a1"}) {
      ASSERT_TRUE(users.count(who)) << who;
      const std::string& t = f_->tokens[who];
      const std::string where = base + " as " + who;
      std::vector<int64_t> listed;
      auto first = c.Get(base + "?limit=500", t);
      auto agg = c.Get(base + "/aggregate?measures=count", t);
      auto file = c.Get(base + "/export?format=csv", t);
      if (first.status != 200) {
        EXPECT_EQ(agg.status, first.status) << where << ": a list refused is an aggregate refused";
        EXPECT_EQ(file.status, first.status) << where << ": and an export refused";
        continue;
      }
      json page = first.json();
      for (;;) {
        for (const auto& item : page["items"]) listed.push_back(item["id"].get<int64_t>());
        if (!page.contains("next_after")) break;
        auto next = c.Get(base + "?limit=500&after=" + page["next_after"].get<std::string>(), t);
        ASSERT_EQ(next.status, 200) << where;
        page = next.json();
      }
      ASSERT_EQ(agg.status, 200) << where << ": " << agg.body.substr(0, 300);
      EXPECT_EQ(agg.json()["totals"]["count"], listed.size()) << where;
      ASSERT_EQ(file.status, 200) << where << ": " << file.body.substr(0, 300);
      EXPECT_EQ(file.header("X-Keel-Row-Count"), std::to_string(listed.size())) << where;
      ASSERT_EQ(file.body.rfind("\xEF\xBB\xBF", 0), 0u) << where << ": a BOM first";
      auto rows = ParseCsv(file.body.substr(3));
      ASSERT_FALSE(rows.empty()) << where;
      EXPECT_EQ(rows[0][0], "id") << where;
      std::vector<int64_t> exported;
      for (size_t i = 1; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].size(), rows[0].size()) << where << " row " << i;
        exported.push_back(std::stoll(rows[i][0]));
      }
      EXPECT_EQ(exported, listed) << where << ": the export is the list, in its order";
      ++compared;
    }
  }
  EXPECT_GE(collections, 20u) << "every entity collection has an aggregate and an export";
  EXPECT_GE(compared, 40u);

  // The opportunities above, as each sees them: sums follow the same scope.
  auto sums = [&](const std::string& who) {
    auto r = c.Get("/api/v1/opportunities/aggregate?q=" + std::string("%E6%B1%87%E6%80%BB%E5%95%86%E6%9C%BA") +
                   "&group_by=owner_id&measures=count,sum:amount,max:amount", f_->tokens[who]);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json();
  };
  json mine = sums("rep_a1");
  EXPECT_EQ(mine["totals"], json({{"count", 2}, {"sum:amount", 3500.0}, {"max:amount", 2500.0}})) << mine.dump();
  ASSERT_EQ(mine["groups"].size(), 1u);
  EXPECT_EQ(mine["groups"][0]["key"]["owner_id"], users.at("rep_a1"));
  json all = sums("admin");
  EXPECT_EQ(all["totals"]["count"], 3);
  EXPECT_EQ(all["totals"]["sum:amount"], 4200.0);
  ASSERT_EQ(all["groups"].size(), 2u);
  EXPECT_EQ(all["groups"][0]["values"]["count"], 2) << "largest group first";
  EXPECT_EQ(all["group_count"], 2);
  EXPECT_EQ(all["truncated"], false);
  // Totals are the same with or without groups, truncated or not (an average weighs each group).
  const std::string measures = "&measures=count,sum:amount,avg:amount,min:amount,max:amount";
  const std::string base_q = "/api/v1/opportunities/aggregate?q=%E6%B1%87%E6%80%BB%E5%95%86%E6%9C%BA";
  json flat = c.Get(base_q + measures, f_->tokens["admin"]).json();
  EXPECT_EQ(flat["totals"], json({{"count", 3}, {"sum:amount", 4200.0}, {"avg:amount", 1400.0}, {"min:amount", 700.0}, {"max:amount", 2500.0}}))
      << flat.dump();
  EXPECT_EQ(flat["groups"].size(), 0u);
  EXPECT_EQ(c.Get(base_q + "&group_by=owner_id" + measures, f_->tokens["admin"]).json()["totals"], flat["totals"]);
  EXPECT_EQ(c.Get(base_q + "&group_by=owner_id&limit=1" + measures, f_->tokens["admin"]).json()["totals"], flat["totals"]);
  EXPECT_EQ(c.Get(base_q + "&group_by=stage,owner_id" + measures, f_->tokens["admin"]).json()["totals"], flat["totals"]);
  auto one = c.Get("/api/v1/opportunities/aggregate?q=%E6%B1%87%E6%80%BB%E5%95%86%E6%9C%BA&group_by=owner_id&limit=1", f_->tokens["admin"]);
  EXPECT_EQ(one.json()["truncated"], true);
  EXPECT_EQ(one.json()["group_count"], 2);
  EXPECT_EQ(one.json()["totals"]["count"], 3) << "totals count every record, shown or not";
  auto rival = c.Get("/api/v1/opportunities/aggregate?q=%E6%B1%87%E6%80%BB%E5%95%86%E6%9C%BA", f_->rival_tokens["admin"]);
  EXPECT_EQ(rival.json()["totals"]["count"], 0) << "another tenant counts none of them";

  // Bad aggregate parameters name themselves and list what would work.
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"group_by=notes", "group_by"}, {"group_by=stage,stage", "group_by"}, {"group_by=a,b,c,d", "group_by"},
           {"measures=sum:name", "measures"}, {"measures=median:amount", "measures"}, {"limit=1001", "limit"},
           {"bogus=1", "bogus"}}) {
    auto r = c.Get("/api/v1/opportunities/aggregate?" + query, f_->tokens["admin"]);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(ErrorCode(r) + "@" + ErrorField(r), "validation.parameter@" + field) << query << ": " << r.body;
  }
  // An export's own parameters: the format, max_rows and continuing with after.
  auto q = "/api/v1/opportunities/export?q=%E6%B1%87%E6%80%BB%E5%95%86%E6%9C%BA&sort=amount";
  auto first = c.Get(std::string(q) + "&max_rows=2", f_->tokens["admin"]);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("X-Keel-Row-Count"), "2");
  ASSERT_FALSE(first.header("X-Keel-Next-After").empty()) << "more rows than the file holds";
  EXPECT_NE(first.header("Content-Disposition").find("opportunities.csv"), std::string::npos);
  auto rest = c.Get(std::string(q) + "&after=" + first.header("X-Keel-Next-After"), f_->tokens["admin"]);
  ASSERT_EQ(rest.status, 200);
  EXPECT_EQ(rest.header("X-Keel-Row-Count"), "1");
  EXPECT_EQ(rest.header("X-Keel-Next-After"), "") << "the last file says so by having none";
  auto rows = ParseCsv(first.body.substr(3)), more = ParseCsv(rest.body.substr(3));
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_EQ(more.size(), 2u);
  const size_t amount = std::find(rows[0].begin(), rows[0].end(), "amount") - rows[0].begin();
  ASSERT_LT(amount, rows[0].size());
  EXPECT_EQ(rows[1][amount] + " " + rows[2][amount] + " " + more[1][amount], "700 1000 2500") << "in the list's sort, across files";
  auto xlsx = c.Get(std::string(q) + "&format=xlsx", f_->tokens["admin"]);
  ASSERT_EQ(xlsx.status, 200);
  EXPECT_EQ(xlsx.header("Content-Type"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  EXPECT_EQ(xlsx.body.rfind("PK\x03\x04", 0), 0u) << "an XLSX file is a ZIP archive";
  EXPECT_EQ(xlsx.header("X-Keel-Row-Count"), "3");
  for (const auto& [query, field] : std::vector<std::pair<std::string, std::string>>{
           {"format=pdf", "format"}, {"max_rows=0", "max_rows"}, {"max_rows=100001", "max_rows"}, {"limit=5", "limit"},
           {"cursor=x", "cursor"}, {"after=garbage", "after"}, {"bogus=1", "bogus"}}) {
    auto r = c.Get("/api/v1/opportunities/export?" + query, f_->tokens["admin"]);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(ErrorCode(r) + "@" + ErrorField(r), "validation.parameter@" + field) << query << ": " << r.body;
  }
}

TEST_P(ApiTest, MalformedInputGetsPrecise4xxNeverA500) {
  HttpClient c(f_->port);
  const std::string& t = f_->tokens["admin"];
  auto bad_json = c.Send("POST", "/api/v1/customers", "{\"code\": \"A\", \"name\": ", t);
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.json()["error"]["code"], "validation.json");
  EXPECT_EQ(bad_json.json()["error"]["field"], "body@23");
  EXPECT_FALSE(bad_json.json()["error"]["message_zh"].get<std::string>().empty());
  auto bad_utf8 = c.Send("POST", "/api/v1/customers", "{\"code\": \"A\", \"name\": \"\xff\xfe\", \"kind\": \"b2b\"}", t);
  EXPECT_EQ(bad_utf8.status, 400);
  EXPECT_EQ(bad_utf8.json()["error"]["code"], "validation.utf8");
  auto wrong_type = c.Send("POST", "/api/v1/customers", "code=A", t, "application/x-www-form-urlencoded");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(wrong_type.json()["error"]["code"], "http.unsupported_media_type");
  std::string deep(200000, '[');
  auto too_deep = c.Send("POST", "/api/v1/leads", "{\"title\": " + deep, t);
  EXPECT_EQ(too_deep.status, 400);
  EXPECT_EQ(too_deep.json()["error"]["code"], "validation.too_deep");
  auto array_body = c.Send("POST", "/api/v1/customers", "[1,2]", t);
  EXPECT_EQ(array_body.json()["error"]["code"], "validation.body");
  auto huge = c.Send("POST", "/api/v1/customers", std::string(2 * 1024 * 1024, ' '), t);
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(huge.json()["error"]["code"], "http.payload_too_large");
  HttpClient c2(f_->port);
  EXPECT_EQ(c2.Get("/api/v1/nothing-here", t).status, 404);
  EXPECT_EQ(c2.Send("PUT", "/api/v1/customers", "{}", t).status, 405);
  EXPECT_EQ(c2.Get("/api/v1/customers/abc", t).status, 404);
  EXPECT_EQ(c2.Get("/api/v1/customers/99999999999999999999", t).status, 404);
  EXPECT_EQ(c2.Get("/api/v1/customers?name=%ZZ", t).status, 400);
  auto bad_q = c2.Get("/api/v1/customers?q=%FF%FE", t);
  EXPECT_EQ(bad_q.status, 400);
  EXPECT_EQ(bad_q.json()["error"]["field"], "q");
  auto unauth = c2.Get("/api/v1/customers");
  EXPECT_EQ(unauth.status, 401);
  EXPECT_EQ(unauth.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(c2.Get("/api/v1/customers", "kss_not_a_real_token").status, 401);
}

TEST_P(ApiTest, KeepAliveRequestIdsHealthAndReadiness) {
  HttpClient c(f_->port);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.Get("/api/v1/health").status, 200);
  auto ready = c.Get("/api/v1/ready");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json()["status"], "ready");
  auto mine = c.Send("GET", "/api/v1/health", {}, {}, "application/json", {{"X-Request-Id", "trace-123"}});
  EXPECT_EQ(mine.header("X-Request-Id"), "trace-123");
  auto generated = c.Get("/api/v1/health");
  EXPECT_FALSE(generated.header("X-Request-Id").empty());
  auto err = c.Get("/api/v1/customers");
  EXPECT_EQ(err.json()["error"]["request_id"], err.header("X-Request-Id"));
  // Another node upgraded the schema: this one is no longer ready, so the balancer drains it.
  {
    auto conn = std::move(f_->db->Acquire()).value();
    store::Value v[] = {int64_t{store::LatestSchemaVersion() + 1}};
    ASSERT_TRUE(conn->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'newer', 'x')", v).ok());
  }
  auto stale = c.Get("/api/v1/ready");
  EXPECT_EQ(stale.status, 503);
  EXPECT_EQ(stale.json()["error"]["code"], "store.schema_newer");
  EXPECT_EQ(c.Get("/api/v1/health").status, 200) << "alive all the same";
}

// `Expect: 100-continue` (curl sends it for bodies over 1 KiB): the server answers `100 Continue`
// at once, so the client sends its body without waiting; a body over the limit is refused by its
// Content-Length before it is sent.
TEST_P(ApiTest, ExpectContinueIsAnsweredBeforeTheBody) {
  namespace asio = boost::asio;
  asio::io_context io;
  auto exchange = [&](const std::string& head, const std::string& body, std::string* interim) {
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(f_->port)});
    asio::write(s, asio::buffer(head));
    // The client waits for the interim answer; nothing is sent until it comes (no timer here:
    // a server that never answers fails the test by the suite's timeout, as a client would hang).
    asio::streambuf buf;
    asio::read_until(s, buf, "\r\n\r\n");
    std::string first(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
    *interim = first.substr(0, first.find("\r\n"));
    boost::system::error_code ec;
    if (first.rfind("HTTP/1.1 100", 0) != 0) {
      asio::read(s, buf, ec);
      return std::string(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
    }
    asio::write(s, asio::buffer(body));
    asio::read(s, buf, ec);  // to the end: Connection: close
    return std::string(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
  };
  std::string csv = "name,y\n";
  for (int i = 0; i < 200; ++i) csv += "row" + std::to_string(i) + "," + (i % 2 ? "yes" : "no") + "\n";
  std::string head = "POST /api/v1/ai/datasets?name=continued HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + f_->tokens["admin"] +
                     "\r\nContent-Type: text/csv\r\nContent-Length: " + std::to_string(csv.size()) +
                     "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
  std::string interim;
  std::string all = exchange(head, csv, &interim);
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue");
  EXPECT_NE(all.find("HTTP/1.1 201"), std::string::npos) << all.substr(0, 300);
  EXPECT_NE(all.find("\"continued\""), std::string::npos);
  // Over the limit: refused from the header, no interim answer, no body sent.
  std::string big = "POST /api/v1/ai/datasets?name=big HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: " +
                    std::to_string(64ull << 20) + "\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n";
  std::string refused = exchange(big, {}, &interim);
  EXPECT_EQ(interim, "HTTP/1.1 413 Payload Too Large");
  EXPECT_NE(refused.find("http.payload_too_large"), std::string::npos) << refused.substr(0, 300);
}

TEST_P(ApiTest, GracefulShutdownFinishesInFlightRequests) {
  // A batch large enough to take a moment, then Stop() from another thread mid-request.
  json items = json::array();
  for (int i = 0; i < 1500; ++i) {
    items.push_back({{"kind", "call"}, {"occurred_at", "2026-11-27T08:00:00+08:00"}, {"outcome", "connected"},
                     {"notes", "电话回访 " + std::to_string(i)}});
  }
  HttpClient c(f_->port);
  // Stop() once the request is being handled, whatever the machine's load: it is then in flight,
  // not merely sent (a Stop before the server has read it would refuse it, rightly).
  std::thread stopper([&] {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (f_->server->in_flight() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    f_->server->Stop();
  });
  testing::HttpReply r;
  try {
    r = c.Post("/api/v1/activities/batch", items, f_->tokens["rep_a1"]);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the in-flight request was cut off: " << e.what();
  }
  stopper.join();
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.json()["created"], 1500);
  // Once drained, the server accepts nothing new.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  HttpClient late(f_->port);
  EXPECT_ANY_THROW(late.Get("/api/v1/health"));
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
