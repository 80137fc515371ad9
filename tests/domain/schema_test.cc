// The descriptors in schema.cc and the migrated tables agree, on both backends: every field
// has its column, and every searchable field is in the substring index.
#include <gtest/gtest.h>

#include <set>

#include "domain/codec.h"
#include "domain/schema.h"
#include "support/test_db.h"

namespace keel::domain {
namespace {

using testing::TestBackend;

class SchemaTest : public ::testing::TestWithParam<TestBackend> {};

TEST_P(SchemaTest, TablesMatchTheDescriptors) {
  auto db = testing::NewDatabase(GetParam());
  auto conn = std::move(db->Acquire()).value();
  bool pg = GetParam() == TestBackend::kPostgres;
  for (const auto& e : Entities()) {
    std::set<std::string> cols;
    auto r = pg ? conn->Query("SELECT column_name FROM information_schema.columns WHERE table_name = '" + e.name + "'")
                : conn->Query("SELECT name FROM pragma_table_info('" + e.name + "')");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& row : r->rows) cols.insert(store::AsText(row[0]));
    for (const char* base : {"tenant_id", "id", "created_at", "updated_at", "archived_at", "created_by"}) {
      EXPECT_TRUE(cols.count(base)) << e.name << "." << base;
    }
    std::set<std::string> search;
    for (const auto& f : e.fields) {
      EXPECT_TRUE(cols.count(ColumnOf(f))) << e.name << " lacks column " << ColumnOf(f);
      if (f.search) search.insert(f.name);
    }
    if (e.child) {
      auto c = pg ? conn->Query("SELECT column_name FROM information_schema.columns WHERE table_name = '" + e.child->table + "'")
                  : conn->Query("SELECT name FROM pragma_table_info('" + e.child->table + "')");
      std::set<std::string> ccols;
      for (const auto& row : c->rows) ccols.insert(store::AsText(row[0]));
      for (const auto& f : e.child->fields) EXPECT_TRUE(ccols.count(f.name)) << e.child->table << "." << f.name;
    }
    if (search.empty()) continue;
    if (!e.indexed_search) search.clear();  // high-volume facts: deliberately not indexed
    std::set<std::string> indexed;
    if (pg) {
      auto ix = conn->Query("SELECT indexname FROM pg_indexes WHERE tablename = '" + e.name + "' AND indexname LIKE '%_trgm'");
      for (const auto& row : ix->rows) {
        std::string n = store::AsText(row[0]);
        indexed.insert(n.substr(e.name.size() + 1, n.size() - e.name.size() - 6));
      }
    } else {
      auto ix = conn->Query("SELECT name FROM pragma_table_info('" + e.name + "_fts')");
      for (const auto& row : ix->rows) indexed.insert(store::AsText(row[0]));
    }
    EXPECT_EQ(indexed, search) << e.name << ": searchable fields and the substring index differ";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, SchemaTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::domain
