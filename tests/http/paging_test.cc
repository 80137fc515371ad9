// The list contract's in-memory pager (http/paging.h): parameters taken out of the query and
// checked, pages in the key's order, next_after only when more, the same errors everywhere.
#include "http/paging.h"

#include <gtest/gtest.h>

#include <vector>

namespace keel::http {
namespace {

using json = nlohmann::json;

json Items(const std::vector<json>& items) {
  json out = {{"items", json::array()}};
  for (const auto& i : items) out["items"].push_back(i);
  return out;
}

std::vector<json> Keys(const json& body, const std::string& key) {
  std::vector<json> out;
  for (const auto& i : body["items"]) out.push_back(i[key]);
  return out;
}

TEST(PagingTest, TakesLimitAndAfterOutAndRefusesWhatTheRouteDoesNotTake) {
  QueryParams q = {{"lang", "zh"}, {"limit", "2"}, {"after", "7"}};
  auto p = TakePageParams(q, {{"lang", "zh or en"}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->limit, 2);
  EXPECT_EQ(p->after, "7");
  EXPECT_EQ(q, (QueryParams{{"lang", "zh"}})) << "the handler sees only its own parameters";

  QueryParams none;
  EXPECT_EQ(TakePageParams(none, {})->limit, kDefaultSetLimit) << "a bounded set comes whole by default";

  for (const std::string bad : {"0", "501", "-1", "x", "1.5", ""}) {
    QueryParams b = {{"limit", bad}};
    auto r = TakePageParams(b, {});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), "validation.parameter");
    EXPECT_EQ(r.status().field(), "limit");
  }
  QueryParams twice = {{"after", "1"}, {"after", "2"}};
  EXPECT_EQ(TakePageParams(twice, {}).status().field(), "after");
  QueryParams unknown = {{"bogus", "1"}};
  auto u = TakePageParams(unknown, {{"lang", ""}});
  EXPECT_EQ(u.status().code(), "validation.parameter");
  EXPECT_EQ(u.status().field(), "bogus");
}

TEST(PagingTest, PagesInTheServicesOrderWithNextAfterOnlyWhenMore) {
  // The service's order (newest first, say) is kept; `after` names the last item seen.
  json all = Items({json{{"id", 5}}, json{{"id", 2}}, json{{"id", 9}}, json{{"id", 1}}, json{{"id", 7}}});
  Paging by_id{Paging::Kind::kInMemory, "id"};
  json page = all;
  ASSERT_TRUE(PageItems(by_id, {.limit = 2}, page).ok());
  EXPECT_EQ(Keys(page, "id"), (std::vector<json>{5, 2}));
  EXPECT_EQ(page["next_after"], 2);
  page = all;
  ASSERT_TRUE(PageItems(by_id, {.limit = 2, .after = "2"}, page).ok());
  EXPECT_EQ(Keys(page, "id"), (std::vector<json>{9, 1}));
  EXPECT_EQ(page["next_after"], 1);
  page = all;
  ASSERT_TRUE(PageItems(by_id, {.limit = 2, .after = "1"}, page).ok());
  EXPECT_EQ(Keys(page, "id"), (std::vector<json>{7}));
  EXPECT_FALSE(page.contains("next_after")) << "the last page says so by having none";
  page = all;
  ASSERT_TRUE(PageItems(by_id, {.limit = 5}, page).ok());
  EXPECT_FALSE(page.contains("next_after")) << "exactly full is not 'more'";
  page = all;
  ASSERT_TRUE(PageItems(by_id, {.limit = 2, .after = "7"}, page).ok());
  EXPECT_TRUE(page["items"].empty()) << "after the last item: an empty page";
  page = all;
  Status gone = PageItems(by_id, {.limit = 2, .after = "4"}, page);
  EXPECT_EQ(gone.code(), "validation.parameter") << "an item that is not (or no longer) in the list";
  EXPECT_EQ(gone.field(), "after");
}

TEST(PagingTest, TextKeys) {
  json periods = Items({json{{"period", "2026-11"}}, json{{"period", "2026-10"}}, json{{"period", "2026-09"}}});
  Paging by_period{Paging::Kind::kInMemory, "period"};
  json page = periods;
  ASSERT_TRUE(PageItems(by_period, {.limit = 2}, page).ok());
  EXPECT_EQ(Keys(page, "period"), (std::vector<json>{"2026-11", "2026-10"}));
  EXPECT_EQ(page["next_after"], "2026-10");
  page = periods;
  ASSERT_TRUE(PageItems(by_period, {.limit = 2, .after = "2026-10"}, page).ok());
  EXPECT_EQ(Keys(page, "period"), (std::vector<json>{"2026-09"}));
  EXPECT_FALSE(page.contains("next_after"));

  json names = Items({json{{"name", "orders"}}, json{{"name", "revenue"}}, json{{"name", "客单价"}}});
  page = names;
  ASSERT_TRUE(PageItems({Paging::Kind::kInMemory, "name"}, {.limit = 1, .after = "revenue"}, page).ok());
  EXPECT_EQ(Keys(page, "name"), (std::vector<json>{"客单价"}));
  EXPECT_FALSE(page.contains("next_after"));
}

}  // namespace
}  // namespace keel::http
