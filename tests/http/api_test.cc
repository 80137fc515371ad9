// HTTP behaviour that is not request → response data: the OpenAPI document in sync with the
// router, transport limits, malformed input, keep-alive, request ids and graceful shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

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
    }
  }
  EXPECT_EQ(ops, f_->api->router().routes().size());
  // Every entity schema lists its fields.
  for (const auto& e : domain::Entities()) {
    std::string title = e.singular;
    title[0] = static_cast<char>(std::toupper(title[0]));
    for (const auto& fd : e.fields) EXPECT_TRUE(doc["components"]["schemas"][title]["properties"].contains(fd.name));
  }
  // docs/openapi.json is the served document (regenerate: see docs/api.md).
  const std::string src = testing::SourceDir();
  std::ifstream in(std::string(src) + "/docs/openapi.json");
  ASSERT_TRUE(in.good()) << "docs/openapi.json is missing";
  json checked_in = json::parse(in, nullptr, false);
  EXPECT_EQ(checked_in, doc) << "docs/openapi.json is stale: run `curl -s localhost:8080/api/v1/openapi.json | python3 -m json.tool --indent 1 > docs/openapi.json`";
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
}

TEST_P(ApiTest, GracefulShutdownFinishesInFlightRequests) {
  // A batch large enough to take a moment, then Stop() from another thread mid-request.
  json items = json::array();
  for (int i = 0; i < 1500; ++i) {
    items.push_back({{"kind", "call"}, {"occurred_at", "2026-11-27T08:00:00+08:00"}, {"outcome", "connected"},
                     {"notes", "电话回访 " + std::to_string(i)}});
  }
  HttpClient c(f_->port);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    f_->server->Stop();
  });
  auto r = c.Post("/api/v1/activities/batch", items, f_->tokens["rep_a1"]);
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
