// The schema is ready to be distributed by tenant (docs/scale-out.md): on PostgreSQL, after the
// migrations, every table is either a *reference* table (no tenant_id: the few global ones listed
// below) or a *distributed* one whose primary key and every unique index start with tenant_id and
// whose every foreign key carries tenant_id (or points at a reference table). These are the
// conditions Citus puts on distributed tables co-located by tenant_id; a new table or index that
// breaks them fails here, not in a production migration.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "store/database.h"
#include "support/test_db.h"

namespace keel::store {
namespace {

// Tables without tenant_id, replicated to every node under Citus. Adding one is a decision:
// say why in docs/scale-out.md.
const std::set<std::string> kReferenceTables = {"tenants", "schema_migrations"};

class DistributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::NewDatabase(testing::TestBackend::kPostgres);
    conn_.emplace(std::move(db_->Acquire()).value());
  }
  Rows Q(const std::string& sql) {
    auto r = (*conn_)->Query(sql, {});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : Rows{};
  }
  std::unique_ptr<Database> db_;
  std::optional<PooledConnection> conn_;
};

TEST_F(DistributionTest, EveryTableIsAReferenceTableOrLedByTenantId) {
  Rows tables = Q(
      "SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
      "AND a.attname = 'tenant_id' AND NOT a.attisdropped)::int AS has_tenant "
      "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1");
  ASSERT_GT(tables.size(), 30u);
  int distributed = 0;
  for (Row t : tables) {
    std::string name = t.Text("name");
    if (kReferenceTables.count(name)) {
      EXPECT_FALSE(t.Bool("has_tenant")) << name << " is listed as a reference table but has tenant_id";
      continue;
    }
    EXPECT_TRUE(t.Bool("has_tenant")) << "table " << name
                                      << " has no tenant_id: add it, or list it as a reference table here and "
                                         "in docs/scale-out.md";
    if (t.Bool("has_tenant")) ++distributed;
  }
  EXPECT_GT(distributed, 30);
}

TEST_F(DistributionTest, PrimaryKeysAndUniqueIndexesStartWithTenantId) {
  // Every unique index (primary keys and UNIQUE constraints included) of a table with tenant_id,
  // with its first key column.
  Rows idx = Q(
      "SELECT t.relname AS tbl, i.relname AS idx, x.indisprimary::int AS is_primary, "
      "a.attname AS first_column, (x.indexprs IS NOT NULL)::int AS on_expression "
      "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
      "JOIN pg_namespace n ON n.oid = t.relnamespace "
      "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] "
      "WHERE n.nspname = current_schema() AND x.indisunique AND EXISTS (SELECT 1 FROM pg_attribute ta "
      "WHERE ta.attrelid = t.oid AND ta.attname = 'tenant_id' AND NOT ta.attisdropped) ORDER BY 1, 2");
  ASSERT_GT(idx.size(), 30u);
  std::set<std::string> with_primary;
  for (Row r : idx) {
    EXPECT_EQ(r.Text("first_column"), "tenant_id")
        << "unique index " << r.Text("idx") << " on " << r.Text("tbl") << " does not start with tenant_id";
    if (r.Bool("is_primary")) with_primary.insert(r.Text("tbl"));
  }
  Rows tables = Q(
      "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped "
      "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')");
  for (Row t : tables) {
    EXPECT_TRUE(with_primary.count(t.Text("name"))) << "table " << t.Text("name") << " has no primary key";
  }
}

TEST_F(DistributionTest, ForeignKeysCarryTenantIdOrPointAtReferenceTables) {
  Rows fks = Q(
      "SELECT t.relname AS tbl, c.conname AS name, r.relname AS target, "
      "EXISTS (SELECT 1 FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid "
      "AND a.attnum = k WHERE a.attname = 'tenant_id')::int AS has_tenant "
      "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid "
      "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE c.contype = 'f' AND n.nspname = current_schema()");
  ASSERT_GT(fks.size(), 0u);
  for (Row f : fks) {
    if (kReferenceTables.count(f.Text("target"))) continue;
    EXPECT_TRUE(f.Bool("has_tenant")) << "foreign key " << f.Text("name") << " from " << f.Text("tbl") << " to "
                                      << f.Text("target") << " does not include tenant_id";
  }
}

}  // namespace
}  // namespace keel::store
