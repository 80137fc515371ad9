// The record engine over both backends: validation, visibility, events and audit.
#include "domain/records.h"

#include <gtest/gtest.h>

#include "domain/auth.h"
#include "events/event_log.h"
#include "support/org.h"
#include "support/test_db.h"

namespace keel::domain {
namespace {

using testing::TestBackend;

class RecordsTest : public ::testing::TestWithParam<TestBackend>, protected testing::DomainFixtureBase {
 protected:
  RecordsTest() : DomainFixtureBase(GetParam()) {}
  const EntityDef& E(const std::string& n) { return *FindEntity(n); }
  const Principal& As(const std::string& u) { return org_.as.at(u); }
  int64_t Customer(const std::string& owner, const std::string& code) {
    return testing::MustCreate(*rs_, As(owner), "customers",
                               {{"code", code}, {"name", "客户 " + code}, {"kind", "b2b"}});
  }
  int64_t EventCount() {
    auto c = std::move(db_->Acquire()).value();
    return *events::LastSeq(*c, org_.tenant);
  }
};

TEST_P(RecordsTest, CreateDefaultsOwnershipAndWritesEventAndAudit) {
  int64_t before = EventCount();
  auto r = rs_->Create(As("rep_a1"), E("customers"),
                       {{"code", "C-1"}, {"name", "上海华庭酒店"}, {"kind", "b2b"}, {"segment", "enterprise"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["owner_id"], org_.users["rep_a1"]);
  EXPECT_EQ((*r)["unit_id"], org_.unit_a);
  EXPECT_EQ((*r)["created_at"], "2026-11-27T02:00:00.000Z");
  EXPECT_EQ(EventCount(), before + 1);
  auto c = std::move(db_->Acquire()).value();
  events::ReadOptions opt;
  opt.after_seq = before;
  auto evs = events::Read(*c, org_.tenant, opt);
  ASSERT_EQ(evs->size(), 1u);
  EXPECT_EQ((*evs)[0].type, "customer.created");
  EXPECT_EQ((*evs)[0].actor_id, org_.users["rep_a1"]);
  auto audit = rs_->AuditLog(As("auditor"), {{"entity", "customers"}});
  ASSERT_TRUE(audit.ok());
  ASSERT_EQ(audit->items.size(), 1u);
  EXPECT_EQ(audit->items[0]["after"]["name"], "上海华庭酒店");
}

// Data-driven: body → expected error code and field.
struct Bad {
  const char* entity;
  const char* body;
  const char* code;
  const char* field;
};
const Bad kBad[] = {
    {"customers", R"({"name": "x", "kind": "b2b"})", "validation.required", "code"},
    {"customers", R"({"code": "A", "name": "x", "kind": "b2c"})", "validation.enum", "kind"},
    {"customers", R"({"code": "A", "name": "x", "kind": "b2b", "colour": "red"})", "validation.unknown_field", "colour"},
    {"customers", R"({"code": 5, "name": "x", "kind": "b2b"})", "validation.type", "code"},
    {"customers", R"({"code": "A", "name": "   ", "kind": "b2b"})", "validation.required", "name"},
    {"customers", R"({"code": "A", "name": "x\ny", "kind": "b2b"})", "validation.control_char", "name"},
    {"customers", R"({"code": "A", "name": "x", "kind": "b2b", "lat": 91})", "validation.range", "lat"},
    {"customers", R"({"code": "A", "name": "x", "kind": "b2b", "owner_id": 99999999})", "validation.reference", "owner_id"},
    {"customers", R"({"code": "A", "name": "x", "kind": "b2b", "id": 5})", "validation.unknown_field", "id"},
    {"opportunities", R"({"name": "d", "customer_id": 1, "amount": 10.001})", "validation.money_precision", "amount"},
    {"opportunities", R"({"name": "d", "customer_id": 1, "amount": -5})", "validation.range", "amount"},
    {"opportunities", R"({"name": "d", "customer_id": 1, "amount": 5, "currency": "RMB"})", "validation.currency", "currency"},
    {"opportunities", R"({"name": "d", "customer_id": 1, "amount": 5, "expected_close": "2026-02-30"})", "validation.date", "expected_close"},
    {"opportunities", R"({"name": "d", "customer_id": 1, "amount": 5, "outcome": "won"})", "validation.read_only", "outcome"},
    {"activities", R"({"kind": "visit", "occurred_at": "2026-11-27T08:00:00"})", "validation.timestamp", "occurred_at"},
    {"activities", R"({"kind": "visit", "occurred_at": "2030-01-01T08:00:00Z"})", "validation.future", "occurred_at"},
    {"activities", R"({"kind": "visit", "occurred_at": "2026-11-27T08:00:00Z", "duration_min": 1.5})", "validation.type", "duration_min"},
    {"products", R"({"sku": "X", "name": "x", "category_path": "家电//空调", "price": 1})", "validation.category_path", "category_path"},
    {"products", R"({"sku": "X", "name": "x", "category_path": "/家电", "price": 1})", "validation.category_path", "category_path"},
    {"orders", R"({"code": "O1", "channel": "store", "ordered_at": "2026-11-27T08:00:00Z"})", "validation.required", "lines"},
    {"orders", R"({"code": "O1", "channel": "store", "ordered_at": "2026-11-27T08:00:00Z", "lines": [{"qty": 1, "unit_price": 5}]})", "validation.required", "lines[0].product_id"},
    {"orders", R"({"code": "O1", "channel": "store", "ordered_at": "2026-11-27T08:00:00Z", "lines": [{"product_id": 1, "qty": 1, "unit_price": 5, "amount": 5}]})", "validation.read_only", "lines[0].amount"},
    {"targets", R"({"unit_id": 1, "metric": "revenue", "period": "2026-13", "value": 5})", "validation.period", "period"},
    {"users", R"({"username": "x", "display_name": "x", "role": "boss", "unit_id": 1})", "validation.enum", "role"},
    {"users", R"({"username": "x", "display_name": "x", "role": "rep", "unit_id": 1, "password": "short"})", "validation.password_length", "password"},
    {"leads", R"({"title": "t", "source": "website", "channel": "online", "status": "converted"})", "lead.use_convert", "status"},
    {"leads", R"({"title": "t", "source": "website", "channel": "online", "status": "disqualified"})", "validation.required", "disqualify_reason"},
};

TEST_P(RecordsTest, RejectsBadInputWithCodeAndField) {
  int64_t customer = Customer("admin", "C-BASE");
  for (const Bad& b : kBad) {
    std::string text = b.body;
    // Point ids at real records where the case is not about the reference itself.
    auto body = json::parse(text);
    if (body.contains("customer_id")) body["customer_id"] = customer;
    if (body.contains("unit_id")) body["unit_id"] = org_.unit_a;
    if (body.contains("lines") && body["lines"].is_array()) {
      for (auto& l : body["lines"]) {
        if (l.contains("product_id")) l["product_id"] = org_.product;
      }
    }
    int64_t events_before = EventCount();
    auto r = rs_->Create(As("admin"), E(b.entity), body);
    ASSERT_FALSE(r.ok()) << b.entity << " " << b.body;
    EXPECT_EQ(r.status().code(), b.code) << b.body << " → " << r.status().ToString();
    EXPECT_EQ(r.status().field(), b.field) << b.body;
    EXPECT_NE(HttpStatusOf(r.status().kind()), 500);
    EXPECT_FALSE(r.status().message_zh().empty());
    EXPECT_EQ(EventCount(), events_before) << "a refused write left an event";
  }
}

TEST_P(RecordsTest, CodesAreUniquePerTenantOnly) {
  Customer("admin", "DUP");
  auto again = rs_->Create(As("admin"), E("customers"), {{"code", "DUP"}, {"name", "x"}, {"kind", "b2b"}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), "conflict.duplicate");
  EXPECT_EQ(HttpStatusOf(again.status().kind()), 409);
  testing::Org other = testing::BuildOrg(*rs_, *auth_, "other");
  EXPECT_TRUE(rs_->Create(other.as["admin"], E("customers"), {{"code", "DUP"}, {"name", "x"}, {"kind", "b2b"}}).ok());
}

TEST_P(RecordsTest, VisibilityFollowsTheUnitTree) {
  Customer("rep_a1", "A1");
  Customer("rep_a2", "A2");
  Customer("rep_a3", "A3");
  Customer("rep_b", "B1");
  auto codes = [&](const std::string& user) {
    auto r = rs_->List(As(user), E("customers"), {{"sort", "code"}});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::string out;
    for (const auto& c : r->items) out += c["code"].get<std::string>() + " ";
    return out;
  };
  EXPECT_EQ(codes("rep_a1"), "A1 ");
  EXPECT_EQ(codes("sup_a"), "A1 A2 ");           // the team: self and direct reports
  EXPECT_EQ(codes("lead_a"), "A1 A2 A3 ");       // the unit subtree
  EXPECT_EQ(codes("lead_b"), "B1 ");
  EXPECT_EQ(codes("ops"), "A1 A2 A3 B1 ");       // HQ sees everything
  EXPECT_EQ(codes("analyst"), "A1 A2 A3 B1 ");
  // Reading, changing or archiving an invisible record looks like it does not exist.
  auto b1 = rs_->List(As("admin"), E("customers"), {{"code", "B1"}});
  int64_t id = b1->items[0]["id"];
  EXPECT_EQ(rs_->Get(As("rep_a1"), E("customers"), id).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(rs_->Update(As("lead_a"), E("customers"), id, {{"name", "hijack"}}).status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(rs_->Archive(As("sup_a"), E("customers"), id).status().kind(), ErrorKind::kNotFound);
}

TEST_P(RecordsTest, WriteRightsByRole) {
  // A rep cannot give a record to someone else or write products; analysts write nothing.
  auto r = rs_->Create(As("rep_a1"), E("customers"),
                       {{"code", "X"}, {"name", "x"}, {"kind", "b2b"}, {"owner_id", org_.users["rep_a2"]}});
  EXPECT_EQ(r.status().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(rs_->Create(As("rep_a1"), E("products"), {{"sku", "S"}, {"name", "n"}, {"category_path", "a"}, {"price", 1}})
                .status().kind(), ErrorKind::kForbidden);
  EXPECT_EQ(rs_->Create(As("analyst"), E("customers"), {{"code", "Y"}, {"name", "y"}, {"kind", "b2b"}})
                .status().kind(), ErrorKind::kForbidden);
  // A unit lead may assign within the subtree but not outside it.
  EXPECT_TRUE(rs_->Create(As("lead_a"), E("customers"),
                          {{"code", "Z1"}, {"name", "z"}, {"kind", "b2b"}, {"owner_id", org_.users["rep_a2"]}}).ok());
  EXPECT_EQ(rs_->Create(As("lead_a"), E("customers"),
                        {{"code", "Z2"}, {"name", "z"}, {"kind", "b2b"}, {"owner_id", org_.users["rep_b"]}})
                .status().kind(), ErrorKind::kForbidden);
  // Supervisors: own team only, and inside their part of the tree.
  EXPECT_EQ(rs_->Create(As("sup_a"), E("customers"),
                        {{"code", "Z5"}, {"name", "z"}, {"kind", "b2b"}, {"owner_id", org_.users["rep_a1"]},
                         {"unit_id", org_.unit_b}}).status().kind(), ErrorKind::kForbidden);
  // Unit-scoped references outside the caller's subtree are refused like missing ones.
  int64_t store_b_unit = testing::MustCreate(*rs_, Principal::System(org_.tenant), "units",
                                             {{"code", "SB"}, {"name", "杭州店"}, {"kind", "store"}, {"parent_id", org_.unit_b}});
  int64_t store_b = testing::MustCreate(*rs_, Principal::System(org_.tenant), "stores",
                                        {{"code", "S-B"}, {"name", "杭州店"}, {"unit_id", store_b_unit}});
  EXPECT_EQ(rs_->Create(As("rep_a1"), E("activities"),
                        {{"kind", "visit"}, {"occurred_at", "2026-11-27T01:00:00Z"}, {"store_id", store_b}})
                .status().code(), "validation.reference");
  EXPECT_TRUE(rs_->Create(As("sup_a"), E("customers"),
                          {{"code", "Z3"}, {"name", "z"}, {"kind", "b2b"}, {"owner_id", org_.users["rep_a1"]}}).ok());
  EXPECT_EQ(rs_->Create(As("sup_a"), E("customers"),
                        {{"code", "Z4"}, {"name", "z"}, {"kind", "b2b"}, {"owner_id", org_.users["rep_a3"]}})
                .status().kind(), ErrorKind::kForbidden);
}

TEST_P(RecordsTest, ListsFilterSortAndPageWithCursors) {
  for (int i = 0; i < 25; ++i) {
    char code[16];
    std::snprintf(code, sizeof code, "P%02d", i);
    testing::MustCreate(*rs_, As("admin"), "opportunities",
                        {{"name", std::string("deal ") + code}, {"customer_id", Customer("admin", code)},
                         {"amount", 1000 * (i % 5)}, {"owner_id", org_.users["rep_a1"]}});
  }
  std::vector<std::string> seen;
  std::optional<std::string> cursor;
  do {
    QueryParams q = {{"sort", "-amount"}, {"limit", "4"}, {"amount_gte", "1000"}};
    if (cursor) q.push_back({"cursor", *cursor});
    auto page = rs_->List(As("admin"), E("opportunities"), q);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& o : page->items) seen.push_back(o["name"]);
    cursor = page->next_cursor;
  } while (cursor);
  EXPECT_EQ(seen.size(), 20u);  // amounts 1000..4000 only
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), seen.size());
  auto in = rs_->List(As("admin"), E("customers"), {{"code_in", "P01,P02,NOPE"}});
  EXPECT_EQ(in->items.size(), 2u);
  auto q = rs_->List(As("admin"), E("customers"), {{"q", "P1"}});
  EXPECT_EQ(q->items.size(), 10u);
  auto lower = rs_->List(As("admin"), E("customers"), {{"q", "p1"}});  // the same on both backends
  EXPECT_EQ(lower->items.size(), 10u);
  // A forged cursor is a 400 on both backends, never a database error.
  for (const char* forged : {"WyItYW1vdW50IiwiYWJjIiw1XQ", "WyItYW1vdW50IiwxLjUsNV0"}) {  // ["-amount","abc",5] / 1.5
    auto r = rs_->List(As("admin"), E("opportunities"), {{"sort", "-amount"}, {"cursor", forged}});
    EXPECT_EQ(r.status().code(), "validation.parameter") << forged;
  }
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"colour", "red"}, {"sort", "notes"}, {"limit", "0"}, {"limit", "x"}, {"cursor", "zzz"},
           {"amount_gte", "abc"}, {"created_at_gte", "yesterday"}}) {
    auto bad = rs_->List(As("admin"), E("opportunities"), {{k, v}});
    ASSERT_FALSE(bad.ok()) << k << "=" << v;
    EXPECT_EQ(HttpStatusOf(bad.status().kind()), 400) << k;
    EXPECT_FALSE(bad.status().field().empty());
  }
}

TEST_P(RecordsTest, TextSearchFindsSubstringsCaseInsensitively) {
  int64_t a = testing::MustCreate(*rs_, As("admin"), "customers", {{"code", "S-1"}, {"name", "上海华庭酒店管理有限公司"}, {"kind", "b2b"}});
  testing::MustCreate(*rs_, As("admin"), "customers", {{"code", "S-2"}, {"name", "Hangzhou GRAND Hotel"}, {"kind", "b2b"}});
  testing::MustCreate(*rs_, As("admin"), "customers", {{"code", "S-3"}, {"name", "北京\"引号\"100%公司"}, {"kind", "b2b"}});
  auto count = [&](const std::string& q) {
    auto r = rs_->List(As("admin"), E("customers"), {{"q", q}});
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? r->items.size() : 999u;
  };
  EXPECT_EQ(count("华庭酒店"), 1u);    // indexed (3+ characters)
  EXPECT_EQ(count("酒店"), 1u);        // short: scanned, same answer
  EXPECT_EQ(count("grand"), 1u);
  EXPECT_EQ(count("HOTEL"), 1u);
  EXPECT_EQ(count("\"引号\""), 1u);
  EXPECT_EQ(count("100%"), 1u);
  EXPECT_EQ(count("0%公"), 1u);
  EXPECT_EQ(count("%%%"), 0u);
  EXPECT_EQ(count("S-"), 3u);
  EXPECT_EQ(count("不存在的名字"), 0u);
  ASSERT_TRUE(rs_->Update(As("admin"), E("customers"), a, {{"name", "上海锦江酒店"}}).ok());
  EXPECT_EQ(count("华庭酒店"), 0u);
  EXPECT_EQ(count("锦江酒"), 1u);
  ASSERT_TRUE(rs_->Archive(As("admin"), E("customers"), a).ok());
  EXPECT_EQ(count("锦江酒"), 0u);
  // Other tenants' matches never count.
  testing::Org other = testing::BuildOrg(*rs_, *auth_, "other");
  testing::MustCreate(*rs_, other.as["admin"], "customers", {{"code", "O-1"}, {"name", "Hangzhou GRAND Hotel"}, {"kind", "b2b"}});
  EXPECT_EQ(count("grand"), 1u);
}

TEST_P(RecordsTest, ArchiveHidesFromListsAndKeepsHistory) {
  int64_t id = Customer("rep_a1", "ARCH");
  auto a = rs_->Archive(As("rep_a1"), E("customers"), id);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE((*a)["archived_at"].is_null());
  EXPECT_TRUE(rs_->List(As("admin"), E("customers"), {{"code", "ARCH"}})->items.empty());
  EXPECT_EQ(rs_->List(As("admin"), E("customers"), {{"code", "ARCH"}, {"include_archived", "true"}})->items.size(), 1u);
  EXPECT_EQ(rs_->Update(As("admin"), E("customers"), id, {{"name", "x"}}).status().code(), "record.archived");
  // New references to an archived record are refused.
  auto opp = rs_->Create(As("admin"), E("opportunities"), {{"name", "d"}, {"customer_id", id}, {"amount", 1}});
  EXPECT_EQ(opp.status().code(), "validation.reference");
}

TEST_P(RecordsTest, BatchKeepsValidRecordsAndReportsEachInvalidOne) {
  json items = json::array();
  for (int i = 0; i < 5; ++i) {
    items.push_back({{"code", "B" + std::to_string(i)}, {"channel", "store"}, {"store_id", org_.store_a},
                     {"ordered_at", "2026-11-27T10:00:00+08:00"},
                     {"lines", {{{"product_id", org_.product}, {"qty", 2}, {"unit_price", 3299}, {"discount", 100}}}}});
  }
  items[1]["lines"][0]["qty"] = "two";
  items[3]["code"] = "B0";  // duplicate within the batch
  int64_t before = EventCount();
  auto r = rs_->CreateBatch(As("rep_a1"), E("orders"), items);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ids.size(), 3u);
  ASSERT_EQ(r->errors.size(), 2u);
  EXPECT_EQ(r->errors[0].index, 1u);
  EXPECT_EQ(r->errors[0].status.field(), "lines[0].qty");
  EXPECT_EQ(r->errors[1].index, 3u);
  EXPECT_EQ(r->errors[1].status.code(), "conflict.duplicate");
  EXPECT_EQ(EventCount(), before + 3);
  auto order = rs_->Get(As("rep_a1"), E("orders"), r->ids[0]);
  ASSERT_TRUE(order.ok());
  EXPECT_DOUBLE_EQ((*order)["total"].get<double>(), 6498.0);
  EXPECT_EQ((*order)["unit_id"], org_.store_unit_a);  // from the store
  EXPECT_EQ((*order)["lines"].size(), 1u);
  EXPECT_DOUBLE_EQ((*order)["lines"][0]["amount"].get<double>(), 6498.0);
  // No orphan lines from the refused records.
  auto c = std::move(db_->Acquire()).value();
  auto lines = c->Query("SELECT COUNT(*) FROM order_lines");
  EXPECT_EQ(store::AsInt(lines->rows[0][0]), 3);
  EXPECT_EQ(rs_->CreateBatch(As("rep_a1"), E("orders"), json::object()).status().code(), "validation.body");
  // Amounts that would overflow are refused, not wrapped.
  auto huge = rs_->Create(As("rep_a1"), E("orders"),
                          {{"code", "HUGE"}, {"channel", "store"}, {"ordered_at", "2026-11-27T10:00:00Z"},
                           {"lines", {{{"product_id", org_.product}, {"qty", 100000}, {"unit_price", 999999999999.0}}}}});
  EXPECT_EQ(huge.status().code(), "validation.range");
  EXPECT_EQ(huge.status().field(), "lines[0].qty");
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::domain
