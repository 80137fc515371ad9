// Versioned schema migrations for both backends. A migration is never edited once released:
// add a new one. SQL is written in the subset SQLite and PostgreSQL share (BIGINT, TEXT,
// DOUBLE PRECISION, composite keys, partial indexes); backend-only statements go in the
// `sqlite`/`postgres` parts. Timestamps are TEXT "YYYY-MM-DDThh:mm:ss.sssZ" (UTC), money is
// BIGINT minor units (fen/cents), booleans are 0/1.
#include <string>
#include <vector>

#include "common/time.h"
#include "store/database.h"

#include <spdlog/spdlog.h>

namespace keel::store {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* common;
  const char* sqlite;
  const char* postgres;
};

// Columns every entity table has, after tenant_id and id.
#define KEEL_ENTITY_TAIL \
  "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, archived_at TEXT, created_by BIGINT, "

const Migration kMigrations[] = {
    {1, "initial schema",
     R"SQL(
CREATE TABLE tenants (
  id BIGINT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
  time_zone TEXT NOT NULL, currency TEXT NOT NULL, locale TEXT NOT NULL,
  status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);

CREATE TABLE event_seq (tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id), next_seq BIGINT NOT NULL);

CREATE TABLE units (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  code TEXT NOT NULL, name TEXT NOT NULL, name_en TEXT, kind TEXT NOT NULL,
  parent_id BIGINT, path TEXT NOT NULL, lead_user_id BIGINT, city TEXT,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES units(tenant_id, id));
CREATE INDEX units_path ON units (tenant_id, path);

CREATE TABLE users (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  username TEXT NOT NULL, display_name TEXT NOT NULL, email TEXT, phone TEXT,
  role TEXT NOT NULL, unit_id BIGINT NOT NULL, supervisor_id BIGINT, locale TEXT NOT NULL,
  status TEXT NOT NULL, password_hash TEXT, failed_logins BIGINT NOT NULL DEFAULT 0,
  locked_until TEXT, last_login_at TEXT,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, username),
  FOREIGN KEY (tenant_id, unit_id) REFERENCES units(tenant_id, id),
  FOREIGN KEY (tenant_id, supervisor_id) REFERENCES users(tenant_id, id));
CREATE INDEX users_unit ON users (tenant_id, unit_id);
CREATE INDEX users_supervisor ON users (tenant_id, supervisor_id);

CREATE TABLE stores (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  code TEXT NOT NULL, name TEXT NOT NULL, unit_id BIGINT NOT NULL, city TEXT, address TEXT,
  lat DOUBLE PRECISION, lng DOUBLE PRECISION, opened_on TEXT, status TEXT NOT NULL,
  manager_id BIGINT,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, unit_id) REFERENCES units(tenant_id, id));

CREATE TABLE customers (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  code TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, segment TEXT, industry TEXT,
  region TEXT, province TEXT, city TEXT, address TEXT, lat DOUBLE PRECISION,
  lng DOUBLE PRECISION, phone TEXT, email TEXT, source TEXT, owner_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id),
  FOREIGN KEY (tenant_id, unit_id) REFERENCES units(tenant_id, id));
CREATE INDEX customers_owner ON customers (tenant_id, owner_id, id);
CREATE INDEX customers_unit ON customers (tenant_id, unit_id, id);
CREATE INDEX customers_name ON customers (tenant_id, name, id);

CREATE TABLE contacts (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL, name TEXT NOT NULL, title TEXT, phone TEXT, email TEXT,
  wechat TEXT, is_primary BIGINT NOT NULL DEFAULT 0, owner_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers(tenant_id, id));
CREATE INDEX contacts_customer ON contacts (tenant_id, customer_id);
CREATE INDEX contacts_owner ON contacts (tenant_id, owner_id, id);
CREATE INDEX contacts_unit ON contacts (tenant_id, unit_id, id);

CREATE TABLE leads (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  title TEXT NOT NULL, contact_name TEXT, company TEXT, phone TEXT, email TEXT,
  source TEXT NOT NULL, channel TEXT NOT NULL, status TEXT NOT NULL, score DOUBLE PRECISION,
  region TEXT, city TEXT, notes TEXT, owner_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
  customer_id BIGINT, opportunity_id BIGINT, first_response_at TEXT, converted_at TEXT,
  disqualify_reason TEXT,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers(tenant_id, id));
CREATE INDEX leads_owner ON leads (tenant_id, owner_id, id);
CREATE INDEX leads_unit ON leads (tenant_id, unit_id, id);
CREATE INDEX leads_status ON leads (tenant_id, status, id);

CREATE TABLE opportunities (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  name TEXT NOT NULL, customer_id BIGINT NOT NULL, contact_id BIGINT, lead_id BIGINT,
  stage TEXT NOT NULL, amount BIGINT NOT NULL, currency TEXT NOT NULL, expected_close TEXT,
  win_probability DOUBLE PRECISION, outcome TEXT NOT NULL, loss_reason TEXT, closed_at TEXT,
  product_category TEXT, source TEXT, owner_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers(tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id));
CREATE INDEX opportunities_owner ON opportunities (tenant_id, owner_id, id);
CREATE INDEX opportunities_unit ON opportunities (tenant_id, unit_id, id);
CREATE INDEX opportunities_customer ON opportunities (tenant_id, customer_id);
CREATE INDEX opportunities_stage ON opportunities (tenant_id, stage, id);

CREATE TABLE opportunity_stage_history (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  opportunity_id BIGINT NOT NULL, from_stage TEXT, to_stage TEXT NOT NULL,
  amount BIGINT, changed_at TEXT NOT NULL, actor_id BIGINT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities(tenant_id, id));
CREATE INDEX stage_history_opp ON opportunity_stage_history (tenant_id, opportunity_id, id);

CREATE TABLE activities (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  kind TEXT NOT NULL, subject TEXT, notes TEXT, occurred_at TEXT NOT NULL,
  duration_min BIGINT, outcome TEXT, customer_id BIGINT, contact_id BIGINT, lead_id BIGINT,
  opportunity_id BIGINT, store_id BIGINT, lat DOUBLE PRECISION, lng DOUBLE PRECISION,
  owner_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users(tenant_id, id));
CREATE INDEX activities_owner ON activities (tenant_id, owner_id, id);
CREATE INDEX activities_unit ON activities (tenant_id, unit_id, id);
CREATE INDEX activities_customer ON activities (tenant_id, customer_id);
CREATE INDEX activities_time ON activities (tenant_id, occurred_at, id);

CREATE TABLE products (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  sku TEXT NOT NULL, name TEXT NOT NULL, name_en TEXT, category_path TEXT NOT NULL,
  brand TEXT, energy_class BIGINT, price BIGINT NOT NULL, cost BIGINT, currency TEXT NOT NULL,
  status TEXT NOT NULL, attributes TEXT,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, sku));
CREATE INDEX products_category ON products (tenant_id, category_path);

CREATE TABLE members (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  card_no TEXT NOT NULL, customer_id BIGINT NOT NULL, store_id BIGINT, unit_id BIGINT NOT NULL,
  level TEXT NOT NULL, points BIGINT NOT NULL DEFAULT 0, joined_at TEXT NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, card_no),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers(tenant_id, id));
CREATE INDEX members_unit ON members (tenant_id, unit_id, id);
CREATE INDEX members_customer ON members (tenant_id, customer_id);

CREATE TABLE promotions (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  code TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, discount_pct DOUBLE PRECISION,
  category_path TEXT, unit_id BIGINT, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL,
  status TEXT NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code));

CREATE TABLE orders (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  code TEXT NOT NULL, store_id BIGINT, customer_id BIGINT, member_id BIGINT,
  promotion_id BIGINT, owner_id BIGINT NOT NULL, unit_id BIGINT NOT NULL, channel TEXT NOT NULL,
  status TEXT NOT NULL, ordered_at TEXT NOT NULL, currency TEXT NOT NULL,
  total BIGINT NOT NULL, discount_total BIGINT NOT NULL, line_count BIGINT NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, code));
CREATE INDEX orders_owner ON orders (tenant_id, owner_id, id);
CREATE INDEX orders_unit ON orders (tenant_id, unit_id, id);
CREATE INDEX orders_time ON orders (tenant_id, ordered_at, id);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id);

CREATE TABLE order_lines (
  tenant_id BIGINT NOT NULL, order_id BIGINT NOT NULL, line_no BIGINT NOT NULL,
  product_id BIGINT NOT NULL, qty BIGINT NOT NULL, unit_price BIGINT NOT NULL,
  discount BIGINT NOT NULL, amount BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, order_id, line_no),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders(tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products(tenant_id, id));

CREATE TABLE targets (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL, user_id BIGINT, metric TEXT NOT NULL, period TEXT NOT NULL,
  period_start TEXT NOT NULL, period_end TEXT NOT NULL, value DOUBLE PRECISION NOT NULL,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, unit_id) REFERENCES units(tenant_id, id));
CREATE INDEX targets_unit ON targets (tenant_id, unit_id, period);

CREATE TABLE tasks (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL,
  title TEXT NOT NULL, description TEXT, owner_id BIGINT NOT NULL, unit_id BIGINT NOT NULL,
  due_at TEXT, status TEXT NOT NULL, priority TEXT NOT NULL, related_entity TEXT,
  related_id BIGINT, source TEXT NOT NULL, completed_at TEXT,
  )SQL" KEEL_ENTITY_TAIL R"SQL(
  PRIMARY KEY (tenant_id, id));
CREATE INDEX tasks_owner ON tasks (tenant_id, owner_id, id);
CREATE INDEX tasks_unit ON tasks (tenant_id, unit_id, id);

CREATE TABLE events (
  tenant_id BIGINT NOT NULL, seq BIGINT NOT NULL, at TEXT NOT NULL, type TEXT NOT NULL,
  entity TEXT NOT NULL, entity_id BIGINT NOT NULL, actor_id BIGINT NOT NULL, payload TEXT NOT NULL,
  PRIMARY KEY (tenant_id, seq));

CREATE TABLE audit_log (
  tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, at TEXT NOT NULL, actor_id BIGINT NOT NULL,
  action TEXT NOT NULL, entity TEXT NOT NULL, entity_id BIGINT NOT NULL, before TEXT,
  after TEXT, request_id TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX audit_entity ON audit_log (tenant_id, entity, entity_id);

CREATE TABLE sessions (
  tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, user_id BIGINT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
  revoked_at TEXT, last_used_at TEXT, ip TEXT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id));
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);

CREATE TABLE api_keys (
  tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, name TEXT NOT NULL, user_id BIGINT NOT NULL,
  prefix TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL,
  expires_at TEXT, revoked_at TEXT, last_used_at TEXT, created_by BIGINT,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id));
)SQL",
     R"SQL(
CREATE TABLE id_alloc (k BIGINT PRIMARY KEY, next_id BIGINT NOT NULL);
INSERT INTO id_alloc (k, next_id) VALUES (1, 1000);
)SQL",
     R"SQL(
CREATE SEQUENCE keel_ids START WITH 1000;
)SQL"},
    {2, "substring search indexes",
     // Text search (`q=`) answers from an index instead of a scan: FTS5 trigram tables kept in
     // sync by triggers on SQLite, pg_trgm GIN indexes on LOWER(column) on PostgreSQL. Both
     // match any substring of 3+ characters, case-insensitively. Orders and activities are
     // high-volume facts: no substring index (it would cost ingest), their `q` scans.
     "",
     R"SQL(
CREATE VIRTUAL TABLE units_fts USING fts5(code, name, name_en, content='units', content_rowid='rowid', tokenize='trigram');
INSERT INTO units_fts(rowid, code, name, name_en) SELECT rowid, code, name, name_en FROM units;
CREATE TRIGGER units_fts_ai AFTER INSERT ON units BEGIN INSERT INTO units_fts(rowid, code, name, name_en) VALUES (new.rowid, new.code, new.name, new.name_en); END;
CREATE TRIGGER units_fts_ad AFTER DELETE ON units BEGIN INSERT INTO units_fts(units_fts, rowid, code, name, name_en) VALUES ('delete', old.rowid, old.code, old.name, old.name_en); END;
CREATE TRIGGER units_fts_au AFTER UPDATE ON units WHEN new.code IS NOT old.code OR new.name IS NOT old.name OR new.name_en IS NOT old.name_en BEGIN INSERT INTO units_fts(units_fts, rowid, code, name, name_en) VALUES ('delete', old.rowid, old.code, old.name, old.name_en); INSERT INTO units_fts(rowid, code, name, name_en) VALUES (new.rowid, new.code, new.name, new.name_en); END;
CREATE VIRTUAL TABLE users_fts USING fts5(username, display_name, email, content='users', content_rowid='rowid', tokenize='trigram');
INSERT INTO users_fts(rowid, username, display_name, email) SELECT rowid, username, display_name, email FROM users;
CREATE TRIGGER users_fts_ai AFTER INSERT ON users BEGIN INSERT INTO users_fts(rowid, username, display_name, email) VALUES (new.rowid, new.username, new.display_name, new.email); END;
CREATE TRIGGER users_fts_ad AFTER DELETE ON users BEGIN INSERT INTO users_fts(users_fts, rowid, username, display_name, email) VALUES ('delete', old.rowid, old.username, old.display_name, old.email); END;
CREATE TRIGGER users_fts_au AFTER UPDATE ON users WHEN new.username IS NOT old.username OR new.display_name IS NOT old.display_name OR new.email IS NOT old.email BEGIN INSERT INTO users_fts(users_fts, rowid, username, display_name, email) VALUES ('delete', old.rowid, old.username, old.display_name, old.email); INSERT INTO users_fts(rowid, username, display_name, email) VALUES (new.rowid, new.username, new.display_name, new.email); END;
CREATE VIRTUAL TABLE stores_fts USING fts5(code, name, content='stores', content_rowid='rowid', tokenize='trigram');
INSERT INTO stores_fts(rowid, code, name) SELECT rowid, code, name FROM stores;
CREATE TRIGGER stores_fts_ai AFTER INSERT ON stores BEGIN INSERT INTO stores_fts(rowid, code, name) VALUES (new.rowid, new.code, new.name); END;
CREATE TRIGGER stores_fts_ad AFTER DELETE ON stores BEGIN INSERT INTO stores_fts(stores_fts, rowid, code, name) VALUES ('delete', old.rowid, old.code, old.name); END;
CREATE TRIGGER stores_fts_au AFTER UPDATE ON stores WHEN new.code IS NOT old.code OR new.name IS NOT old.name BEGIN INSERT INTO stores_fts(stores_fts, rowid, code, name) VALUES ('delete', old.rowid, old.code, old.name); INSERT INTO stores_fts(rowid, code, name) VALUES (new.rowid, new.code, new.name); END;
CREATE VIRTUAL TABLE customers_fts USING fts5(code, name, phone, content='customers', content_rowid='rowid', tokenize='trigram');
INSERT INTO customers_fts(rowid, code, name, phone) SELECT rowid, code, name, phone FROM customers;
CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN INSERT INTO customers_fts(rowid, code, name, phone) VALUES (new.rowid, new.code, new.name, new.phone); END;
CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN INSERT INTO customers_fts(customers_fts, rowid, code, name, phone) VALUES ('delete', old.rowid, old.code, old.name, old.phone); END;
CREATE TRIGGER customers_fts_au AFTER UPDATE ON customers WHEN new.code IS NOT old.code OR new.name IS NOT old.name OR new.phone IS NOT old.phone BEGIN INSERT INTO customers_fts(customers_fts, rowid, code, name, phone) VALUES ('delete', old.rowid, old.code, old.name, old.phone); INSERT INTO customers_fts(rowid, code, name, phone) VALUES (new.rowid, new.code, new.name, new.phone); END;
CREATE VIRTUAL TABLE contacts_fts USING fts5(name, phone, content='contacts', content_rowid='rowid', tokenize='trigram');
INSERT INTO contacts_fts(rowid, name, phone) SELECT rowid, name, phone FROM contacts;
CREATE TRIGGER contacts_fts_ai AFTER INSERT ON contacts BEGIN INSERT INTO contacts_fts(rowid, name, phone) VALUES (new.rowid, new.name, new.phone); END;
CREATE TRIGGER contacts_fts_ad AFTER DELETE ON contacts BEGIN INSERT INTO contacts_fts(contacts_fts, rowid, name, phone) VALUES ('delete', old.rowid, old.name, old.phone); END;
CREATE TRIGGER contacts_fts_au AFTER UPDATE ON contacts WHEN new.name IS NOT old.name OR new.phone IS NOT old.phone BEGIN INSERT INTO contacts_fts(contacts_fts, rowid, name, phone) VALUES ('delete', old.rowid, old.name, old.phone); INSERT INTO contacts_fts(rowid, name, phone) VALUES (new.rowid, new.name, new.phone); END;
CREATE VIRTUAL TABLE leads_fts USING fts5(title, contact_name, company, phone, content='leads', content_rowid='rowid', tokenize='trigram');
INSERT INTO leads_fts(rowid, title, contact_name, company, phone) SELECT rowid, title, contact_name, company, phone FROM leads;
CREATE TRIGGER leads_fts_ai AFTER INSERT ON leads BEGIN INSERT INTO leads_fts(rowid, title, contact_name, company, phone) VALUES (new.rowid, new.title, new.contact_name, new.company, new.phone); END;
CREATE TRIGGER leads_fts_ad AFTER DELETE ON leads BEGIN INSERT INTO leads_fts(leads_fts, rowid, title, contact_name, company, phone) VALUES ('delete', old.rowid, old.title, old.contact_name, old.company, old.phone); END;
CREATE TRIGGER leads_fts_au AFTER UPDATE ON leads WHEN new.title IS NOT old.title OR new.contact_name IS NOT old.contact_name OR new.company IS NOT old.company OR new.phone IS NOT old.phone BEGIN INSERT INTO leads_fts(leads_fts, rowid, title, contact_name, company, phone) VALUES ('delete', old.rowid, old.title, old.contact_name, old.company, old.phone); INSERT INTO leads_fts(rowid, title, contact_name, company, phone) VALUES (new.rowid, new.title, new.contact_name, new.company, new.phone); END;
CREATE VIRTUAL TABLE opportunities_fts USING fts5(name, content='opportunities', content_rowid='rowid', tokenize='trigram');
INSERT INTO opportunities_fts(rowid, name) SELECT rowid, name FROM opportunities;
CREATE TRIGGER opportunities_fts_ai AFTER INSERT ON opportunities BEGIN INSERT INTO opportunities_fts(rowid, name) VALUES (new.rowid, new.name); END;
CREATE TRIGGER opportunities_fts_ad AFTER DELETE ON opportunities BEGIN INSERT INTO opportunities_fts(opportunities_fts, rowid, name) VALUES ('delete', old.rowid, old.name); END;
CREATE TRIGGER opportunities_fts_au AFTER UPDATE ON opportunities WHEN new.name IS NOT old.name BEGIN INSERT INTO opportunities_fts(opportunities_fts, rowid, name) VALUES ('delete', old.rowid, old.name); INSERT INTO opportunities_fts(rowid, name) VALUES (new.rowid, new.name); END;
CREATE VIRTUAL TABLE products_fts USING fts5(sku, name, name_en, content='products', content_rowid='rowid', tokenize='trigram');
INSERT INTO products_fts(rowid, sku, name, name_en) SELECT rowid, sku, name, name_en FROM products;
CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN INSERT INTO products_fts(rowid, sku, name, name_en) VALUES (new.rowid, new.sku, new.name, new.name_en); END;
CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN INSERT INTO products_fts(products_fts, rowid, sku, name, name_en) VALUES ('delete', old.rowid, old.sku, old.name, old.name_en); END;
CREATE TRIGGER products_fts_au AFTER UPDATE ON products WHEN new.sku IS NOT old.sku OR new.name IS NOT old.name OR new.name_en IS NOT old.name_en BEGIN INSERT INTO products_fts(products_fts, rowid, sku, name, name_en) VALUES ('delete', old.rowid, old.sku, old.name, old.name_en); INSERT INTO products_fts(rowid, sku, name, name_en) VALUES (new.rowid, new.sku, new.name, new.name_en); END;
CREATE VIRTUAL TABLE members_fts USING fts5(card_no, content='members', content_rowid='rowid', tokenize='trigram');
INSERT INTO members_fts(rowid, card_no) SELECT rowid, card_no FROM members;
CREATE TRIGGER members_fts_ai AFTER INSERT ON members BEGIN INSERT INTO members_fts(rowid, card_no) VALUES (new.rowid, new.card_no); END;
CREATE TRIGGER members_fts_ad AFTER DELETE ON members BEGIN INSERT INTO members_fts(members_fts, rowid, card_no) VALUES ('delete', old.rowid, old.card_no); END;
CREATE TRIGGER members_fts_au AFTER UPDATE ON members WHEN new.card_no IS NOT old.card_no BEGIN INSERT INTO members_fts(members_fts, rowid, card_no) VALUES ('delete', old.rowid, old.card_no); INSERT INTO members_fts(rowid, card_no) VALUES (new.rowid, new.card_no); END;
CREATE VIRTUAL TABLE promotions_fts USING fts5(code, name, content='promotions', content_rowid='rowid', tokenize='trigram');
INSERT INTO promotions_fts(rowid, code, name) SELECT rowid, code, name FROM promotions;
CREATE TRIGGER promotions_fts_ai AFTER INSERT ON promotions BEGIN INSERT INTO promotions_fts(rowid, code, name) VALUES (new.rowid, new.code, new.name); END;
CREATE TRIGGER promotions_fts_ad AFTER DELETE ON promotions BEGIN INSERT INTO promotions_fts(promotions_fts, rowid, code, name) VALUES ('delete', old.rowid, old.code, old.name); END;
CREATE TRIGGER promotions_fts_au AFTER UPDATE ON promotions WHEN new.code IS NOT old.code OR new.name IS NOT old.name BEGIN INSERT INTO promotions_fts(promotions_fts, rowid, code, name) VALUES ('delete', old.rowid, old.code, old.name); INSERT INTO promotions_fts(rowid, code, name) VALUES (new.rowid, new.code, new.name); END;
CREATE VIRTUAL TABLE tasks_fts USING fts5(title, content='tasks', content_rowid='rowid', tokenize='trigram');
INSERT INTO tasks_fts(rowid, title) SELECT rowid, title FROM tasks;
CREATE TRIGGER tasks_fts_ai AFTER INSERT ON tasks BEGIN INSERT INTO tasks_fts(rowid, title) VALUES (new.rowid, new.title); END;
CREATE TRIGGER tasks_fts_ad AFTER DELETE ON tasks BEGIN INSERT INTO tasks_fts(tasks_fts, rowid, title) VALUES ('delete', old.rowid, old.title); END;
CREATE TRIGGER tasks_fts_au AFTER UPDATE ON tasks WHEN new.title IS NOT old.title BEGIN INSERT INTO tasks_fts(tasks_fts, rowid, title) VALUES ('delete', old.rowid, old.title); INSERT INTO tasks_fts(rowid, title) VALUES (new.rowid, new.title); END;
)SQL",
     R"SQL(
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX units_code_trgm ON units USING gin (LOWER(code) gin_trgm_ops);
CREATE INDEX units_name_trgm ON units USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX units_name_en_trgm ON units USING gin (LOWER(name_en) gin_trgm_ops);
CREATE INDEX users_username_trgm ON users USING gin (LOWER(username) gin_trgm_ops);
CREATE INDEX users_display_name_trgm ON users USING gin (LOWER(display_name) gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (LOWER(email) gin_trgm_ops);
CREATE INDEX stores_code_trgm ON stores USING gin (LOWER(code) gin_trgm_ops);
CREATE INDEX stores_name_trgm ON stores USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX customers_code_trgm ON customers USING gin (LOWER(code) gin_trgm_ops);
CREATE INDEX customers_name_trgm ON customers USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX customers_phone_trgm ON customers USING gin (LOWER(phone) gin_trgm_ops);
CREATE INDEX contacts_name_trgm ON contacts USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX contacts_phone_trgm ON contacts USING gin (LOWER(phone) gin_trgm_ops);
CREATE INDEX leads_title_trgm ON leads USING gin (LOWER(title) gin_trgm_ops);
CREATE INDEX leads_contact_name_trgm ON leads USING gin (LOWER(contact_name) gin_trgm_ops);
CREATE INDEX leads_company_trgm ON leads USING gin (LOWER(company) gin_trgm_ops);
CREATE INDEX leads_phone_trgm ON leads USING gin (LOWER(phone) gin_trgm_ops);
CREATE INDEX opportunities_name_trgm ON opportunities USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX products_sku_trgm ON products USING gin (LOWER(sku) gin_trgm_ops);
CREATE INDEX products_name_trgm ON products USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX products_name_en_trgm ON products USING gin (LOWER(name_en) gin_trgm_ops);
CREATE INDEX members_card_no_trgm ON members USING gin (LOWER(card_no) gin_trgm_ops);
CREATE INDEX promotions_code_trgm ON promotions USING gin (LOWER(code) gin_trgm_ops);
CREATE INDEX promotions_name_trgm ON promotions USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX tasks_title_trgm ON tasks USING gin (LOWER(title) gin_trgm_ops);
)SQL"},
    {3, "live pulse: metrics, alerts, ingestion",
     // Metric definitions are versioned rows; rollup cells are keyed by metric version, grain
     // (0 minute, 1 hour, 2 day), local bucket start (ms) and the dimension tuple as text
     // ('' for the total); metric_state holds the last event applied to the persisted cells.
     R"SQL(
CREATE TABLE metric_defs (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, version BIGINT NOT NULL,
  definition TEXT NOT NULL, status TEXT NOT NULL, owner_id BIGINT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name, version));
CREATE TABLE metric_state (
  tenant_id BIGINT NOT NULL, name TEXT NOT NULL, version BIGINT NOT NULL, applied_seq BIGINT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name));
CREATE TABLE metric_cells (
  tenant_id BIGINT NOT NULL, name TEXT NOT NULL, version BIGINT NOT NULL, grain BIGINT NOT NULL,
  bucket BIGINT NOT NULL, dims TEXT NOT NULL, n BIGINT NOT NULL, total DOUBLE PRECISION NOT NULL,
  lo DOUBLE PRECISION, hi DOUBLE PRECISION, distinct_values TEXT,
  PRIMARY KEY (tenant_id, name, version, grain, bucket, dims));

CREATE TABLE event_types (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, version BIGINT NOT NULL,
  definition TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, created_by BIGINT,
  PRIMARY KEY (tenant_id, name));
CREATE TABLE ingest_keys (
  tenant_id BIGINT NOT NULL, key TEXT NOT NULL, seq BIGINT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, key));
CREATE TABLE signals (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, kind TEXT NOT NULL,
  source TEXT NOT NULL, title TEXT NOT NULL, body TEXT, url TEXT, customer_id BIGINT,
  sentiment DOUBLE PRECISION, owner_id BIGINT, unit_id BIGINT, occurred_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX signals_customer ON signals (tenant_id, customer_id);
CREATE INDEX signals_time ON signals (tenant_id, occurred_at);

CREATE TABLE alert_rules (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, version BIGINT NOT NULL,
  definition TEXT NOT NULL, status TEXT NOT NULL, owner_id BIGINT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, name, version));
CREATE TABLE alerts (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, rule TEXT NOT NULL,
  group_key TEXT NOT NULL, labels TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL,
  value DOUBLE PRECISION, summary TEXT NOT NULL, summary_en TEXT NOT NULL, unit_id BIGINT,
  owner_id BIGINT, started_at TEXT NOT NULL, updated_at TEXT NOT NULL, resolved_at TEXT,
  acked_at TEXT, acked_by BIGINT, escalation_step BIGINT NOT NULL DEFAULT 0, next_step_at TEXT,
  task_id BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX alerts_rule ON alerts (tenant_id, rule, group_key, state);
CREATE INDEX alerts_state ON alerts (tenant_id, state, id);
CREATE TABLE alert_silences (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, rule TEXT,
  matchers TEXT NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, comment TEXT,
  created_by BIGINT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE webhooks (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, name TEXT NOT NULL,
  channel TEXT NOT NULL, url TEXT NOT NULL, secret TEXT, unit_id BIGINT, min_severity TEXT NOT NULL,
  locale TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, created_by BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE notifications (
  tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, alert_id BIGINT NOT NULL, channel TEXT NOT NULL,
  target TEXT NOT NULL, recipient_id BIGINT, status TEXT NOT NULL, attempts BIGINT NOT NULL,
  http_status BIGINT, error TEXT, created_at TEXT NOT NULL, delivered_at TEXT, read_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX notifications_recipient ON notifications (tenant_id, recipient_id, id);
CREATE INDEX notifications_alert ON notifications (tenant_id, alert_id);
)SQL",
     "", ""},
    {4, "ai: models, scores, jobs, foreign datasets",
     // A model version per tenant and target ("lead", "opportunity") with its card and the
     // booster (base64url UBJSON); one current score per record; background jobs with progress.
     R"SQL(
CREATE TABLE ai_models (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), target TEXT NOT NULL, version BIGINT NOT NULL,
  status TEXT NOT NULL, card TEXT NOT NULL, spec TEXT NOT NULL, model TEXT NOT NULL,
  created_at TEXT NOT NULL, created_by BIGINT, activated_at TEXT,
  PRIMARY KEY (tenant_id, target, version));
CREATE TABLE ai_scores (
  tenant_id BIGINT NOT NULL, target TEXT NOT NULL, record_id BIGINT NOT NULL,
  model_version BIGINT NOT NULL, probability DOUBLE PRECISION NOT NULL, score BIGINT NOT NULL,
  band TEXT NOT NULL, reasons TEXT NOT NULL, owner_id BIGINT, computed_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, target, record_id));
CREATE INDEX ai_scores_band ON ai_scores (tenant_id, target, band);
CREATE TABLE ai_jobs (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, kind TEXT NOT NULL,
  target TEXT, status TEXT NOT NULL, progress DOUBLE PRECISION NOT NULL, message TEXT,
  result TEXT, created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, created_by BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE ai_datasets (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, name TEXT NOT NULL,
  row_count BIGINT NOT NULL, profile TEXT NOT NULL, content TEXT NOT NULL, card TEXT,
  created_at TEXT NOT NULL, created_by BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE ai_state (
  tenant_id BIGINT PRIMARY KEY, scored_seq BIGINT NOT NULL, batch_day TEXT, updated_at TEXT NOT NULL);
CREATE TABLE ai_actions (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, rule TEXT NOT NULL,
  entity TEXT NOT NULL, record_id BIGINT NOT NULL, owner_id BIGINT NOT NULL, task_id BIGINT NOT NULL,
  expected_value DOUBLE PRECISION NOT NULL, reason_zh TEXT NOT NULL, reason_en TEXT NOT NULL,
  details TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX ai_actions_record ON ai_actions (tenant_id, rule, entity, record_id);
CREATE TABLE ai_drift (
  tenant_id BIGINT NOT NULL, target TEXT NOT NULL, day TEXT NOT NULL, model_version BIGINT NOT NULL,
  max_psi DOUBLE PRECISION NOT NULL, result TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, target, day));
CREATE INDEX ai_actions_task ON ai_actions (tenant_id, task_id);
CREATE INDEX activities_lead ON activities (tenant_id, lead_id);
CREATE INDEX activities_opportunity ON activities (tenant_id, opportunity_id);
)SQL",
     "", ""},
    {5, "custom fields; a deal's discount",
     // A tenant's own fields: definitions per entity, values in each record's `custom` object.
     R"SQL(
CREATE TABLE custom_fields (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  entity TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, label TEXT NOT NULL, label_en TEXT,
  options TEXT, required BIGINT NOT NULL, ai_feature BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX custom_fields_name ON custom_fields (tenant_id, entity, name);
ALTER TABLE customers ADD COLUMN custom TEXT;
ALTER TABLE contacts ADD COLUMN custom TEXT;
ALTER TABLE leads ADD COLUMN custom TEXT;
ALTER TABLE opportunities ADD COLUMN custom TEXT;
ALTER TABLE activities ADD COLUMN custom TEXT;
ALTER TABLE opportunities ADD COLUMN discount_pct DOUBLE PRECISION;
)SQL",
     "", ""},
    {6, "text: customer feedback, analyses, corpus statistics, models, recaps, knowledge base",
     R"SQL(
CREATE TABLE feedback (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  rating BIGINT, text TEXT, channel TEXT, customer_id BIGINT, order_id BIGINT, store_id BIGINT, unit_id BIGINT,
  submitted_at TEXT, sentiment DOUBLE PRECISION, sentiment_label TEXT, sentiment_model TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX feedback_unit ON feedback (tenant_id, unit_id, submitted_at);
CREATE INDEX feedback_customer ON feedback (tenant_id, customer_id);
CREATE TABLE text_settings (
  tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id), terms TEXT NOT NULL, intents TEXT NOT NULL,
  recap_hour BIGINT NOT NULL, llm TEXT, updated_at TEXT NOT NULL);
CREATE TABLE text_state (
  tenant_id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, docs BIGINT NOT NULL, recap_day TEXT, updated_at TEXT NOT NULL);
CREATE TABLE text_df (
  tenant_id BIGINT NOT NULL, term TEXT NOT NULL, df BIGINT NOT NULL, PRIMARY KEY (tenant_id, term));
CREATE TABLE text_analyses (
  tenant_id BIGINT NOT NULL, entity TEXT NOT NULL, record_id BIGINT NOT NULL, unit_id BIGINT, owner_id BIGINT,
  customer_id BIGINT, occurred_at TEXT NOT NULL, sentiment_label TEXT NOT NULL, sentiment DOUBLE PRECISION NOT NULL,
  sentiment_model TEXT NOT NULL, intents TEXT NOT NULL, intent_source TEXT NOT NULL, key_phrases TEXT NOT NULL,
  analysed_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, entity, record_id));
CREATE INDEX text_analyses_time ON text_analyses (tenant_id, entity, occurred_at);
CREATE TABLE text_models (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), kind TEXT NOT NULL, version BIGINT NOT NULL,
  model TEXT NOT NULL, card TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, kind, version));
CREATE TABLE text_corrections (
  tenant_id BIGINT NOT NULL, activity_id BIGINT NOT NULL, labels TEXT NOT NULL, actor_id BIGINT,
  created_at TEXT NOT NULL, PRIMARY KEY (tenant_id, activity_id));
CREATE TABLE text_recaps (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, scope TEXT NOT NULL, scope_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL, day TEXT NOT NULL, content TEXT NOT NULL, created_at TEXT NOT NULL, delivered TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX text_recaps_day ON text_recaps (tenant_id, scope, scope_id, day);
CREATE TABLE kb_documents (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
  kind TEXT NOT NULL, product_line TEXT, segment TEXT, opportunity_id BIGINT, created_at TEXT NOT NULL,
  created_by BIGINT, archived_at TEXT,
  PRIMARY KEY (tenant_id, id));
)SQL",
     "", ""},
    {7, "units: quotes, pricing authority, approval workflows, grants, budgets, contracts",
     R"SQL(
CREATE TABLE quotes (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  code TEXT NOT NULL, name TEXT, customer_id BIGINT NOT NULL, opportunity_id BIGINT, currency TEXT, valid_until TEXT,
  status TEXT NOT NULL, subtotal BIGINT, discount_total BIGINT, total BIGINT, discount_pct DOUBLE PRECISION,
  max_discount_pct DOUBLE PRECISION, approval_id BIGINT, notes TEXT, owner_id BIGINT, unit_id BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX quotes_code ON quotes (tenant_id, code);
CREATE INDEX quotes_owner ON quotes (tenant_id, owner_id);
CREATE TABLE quote_lines (
  tenant_id BIGINT NOT NULL, quote_id BIGINT NOT NULL, line_no BIGINT NOT NULL, product_id BIGINT NOT NULL,
  qty BIGINT NOT NULL, unit_price BIGINT NOT NULL, discount_pct DOUBLE PRECISION, amount BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, quote_id, line_no));
CREATE TABLE pricing_authority (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT NOT NULL, role TEXT,
  category_prefix TEXT, min_amount BIGINT NOT NULL, max_discount_pct DOUBLE PRECISION NOT NULL, created_at TEXT NOT NULL,
  created_by BIGINT, archived_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE approval_defs (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, version BIGINT NOT NULL, status TEXT NOT NULL,
  definition TEXT NOT NULL, created_at TEXT NOT NULL, created_by BIGINT,
  PRIMARY KEY (tenant_id, name, version));
CREATE TABLE approval_requests (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, def_name TEXT NOT NULL, def_version BIGINT NOT NULL,
  object TEXT NOT NULL, record_id BIGINT NOT NULL, unit_id BIGINT, submitter_id BIGINT, status TEXT NOT NULL,
  step BIGINT NOT NULL, version BIGINT NOT NULL, snapshot TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  decided_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX approval_requests_record ON approval_requests (tenant_id, object, record_id);
CREATE TABLE approval_tasks (
  tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, request_id BIGINT NOT NULL, step BIGINT NOT NULL, approver_id BIGINT NOT NULL,
  status TEXT NOT NULL, due_at TEXT, acted_by BIGINT, acted_at TEXT, comment TEXT, created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX approval_tasks_approver ON approval_tasks (tenant_id, approver_id, status);
CREATE INDEX approval_tasks_request ON approval_tasks (tenant_id, request_id, step);
CREATE TABLE approval_log (
  tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, request_id BIGINT NOT NULL, actor_id BIGINT, on_behalf_of BIGINT,
  action TEXT NOT NULL, step BIGINT, comment TEXT, at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX approval_log_request ON approval_log (tenant_id, request_id);
CREATE TABLE grants (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, grantor_id BIGINT NOT NULL, grantee_id BIGINT NOT NULL,
  kind TEXT NOT NULL, unit_id BIGINT, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, reason TEXT, created_at TEXT NOT NULL,
  created_by BIGINT, revoked_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX grants_grantor ON grants (tenant_id, grantor_id);
CREATE TABLE budgets (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT NOT NULL, category TEXT NOT NULL,
  period TEXT NOT NULL, period_start TEXT NOT NULL, period_end TEXT NOT NULL, amount BIGINT NOT NULL, committed BIGINT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, created_by BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX budgets_key ON budgets (tenant_id, unit_id, category, period);
CREATE TABLE budget_entries (
  tenant_id BIGINT NOT NULL, id BIGINT NOT NULL, budget_id BIGINT NOT NULL, amount BIGINT NOT NULL, kind TEXT NOT NULL,
  source_object TEXT, source_id BIGINT, note TEXT, actor_id BIGINT, at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX budget_entries_budget ON budget_entries (tenant_id, budget_id);
CREATE TABLE contracts (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  code TEXT NOT NULL, name TEXT NOT NULL, customer_id BIGINT NOT NULL, opportunity_id BIGINT, quote_id BIGINT, amount BIGINT NOT NULL,
  currency TEXT, start_date TEXT NOT NULL, end_date TEXT NOT NULL, status TEXT NOT NULL, legal_reviewed BIGINT, signed_at TEXT,
  renewal_of BIGINT, notes TEXT, owner_id BIGINT, unit_id BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX contracts_code ON contracts (tenant_id, code);
CREATE INDEX contracts_status ON contracts (tenant_id, status, end_date);
)SQL",
     "", ""},
    {8, "unit accounting: expenses, ledger, allocations, profit sharing, budget transfers, price changes",
     R"SQL(
CREATE TABLE expenses (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  title TEXT NOT NULL, category TEXT NOT NULL, destination TEXT, trip_start TEXT, trip_end TEXT, customer_id BIGINT,
  status TEXT NOT NULL, total BIGINT, line_count BIGINT, missing_receipts BIGINT, budget_id BIGINT, approval_id BIGINT,
  ledger_period TEXT, posted_at TEXT, notes TEXT, owner_id BIGINT, unit_id BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX expenses_owner ON expenses (tenant_id, owner_id);
CREATE TABLE expense_lines (
  tenant_id BIGINT NOT NULL, expense_id BIGINT NOT NULL, line_no BIGINT NOT NULL, day TEXT NOT NULL, kind TEXT NOT NULL,
  amount BIGINT NOT NULL, has_receipt BIGINT, receipt_no TEXT, vendor TEXT, city TEXT, nights BIGINT, attendees BIGINT,
  description TEXT,
  PRIMARY KEY (tenant_id, expense_id, line_no));
CREATE TABLE expense_policies (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT, kind TEXT NOT NULL, per TEXT NOT NULL,
  limit_amount BIGINT NOT NULL, city_tier TEXT, note TEXT, created_at TEXT NOT NULL, created_by BIGINT, archived_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE ledger_entries (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT NOT NULL, user_id BIGINT,
  period TEXT NOT NULL, day TEXT NOT NULL, account TEXT NOT NULL, amount BIGINT NOT NULL, source_object TEXT NOT NULL,
  source_id BIGINT NOT NULL, memo TEXT, posted_at TEXT NOT NULL, posted_by BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX ledger_entries_source ON ledger_entries (tenant_id, source_object, source_id, account, unit_id, period);
CREATE INDEX ledger_entries_period ON ledger_entries (tenant_id, period, unit_id);
CREATE TABLE ledger_periods (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), period TEXT NOT NULL, status TEXT NOT NULL, posted_at TEXT,
  closed_at TEXT, closed_by BIGINT,
  PRIMARY KEY (tenant_id, period));
CREATE TABLE accounting_settings (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), settings TEXT NOT NULL, updated_at TEXT NOT NULL, updated_by BIGINT,
  PRIMARY KEY (tenant_id));
CREATE TABLE allocation_rules (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, name TEXT NOT NULL, monthly_amount BIGINT NOT NULL,
  driver TEXT NOT NULL, shares TEXT, created_at TEXT NOT NULL, created_by BIGINT, archived_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE profit_sharing_rules (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, name TEXT NOT NULL, unit_id BIGINT,
  pool_formula TEXT NOT NULL, split TEXT NOT NULL, weight_formula TEXT, description TEXT, created_at TEXT NOT NULL,
  created_by BIGINT, archived_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE profit_share_statements (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, period TEXT NOT NULL, rule_id BIGINT NOT NULL,
  unit_id BIGINT NOT NULL, user_id BIGINT NOT NULL, pool BIGINT NOT NULL, amount BIGINT NOT NULL, detail TEXT NOT NULL,
  computed_at TEXT NOT NULL, computed_by BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX profit_share_statements_key ON profit_share_statements (tenant_id, period, rule_id, unit_id, user_id);
CREATE TABLE budget_transfers (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  from_budget_id BIGINT NOT NULL, to_budget_id BIGINT NOT NULL, amount BIGINT NOT NULL, reason TEXT NOT NULL,
  status TEXT NOT NULL, approval_id BIGINT, executed_at TEXT, owner_id BIGINT, unit_id BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE TABLE price_changes (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  product_id BIGINT NOT NULL, old_price BIGINT, new_price BIGINT NOT NULL, change_pct DOUBLE PRECISION, effective_date TEXT NOT NULL,
  reason TEXT NOT NULL, status TEXT NOT NULL, approval_id BIGINT, applied_at TEXT, owner_id BIGINT, unit_id BIGINT,
  PRIMARY KEY (tenant_id, id));
)SQL",
     "", ""},
    {9, "materials library with versions, case reviews, public feedback links",
     // Material files are stored base64url in TEXT (one column type on both backends, as the AI
     // models are); a version is never changed once written. A feedback link keeps only its
     // token's SHA-256 and a one-minute submission window for its rate limit.
     R"SQL(
CREATE TABLE materials (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  title TEXT NOT NULL, kind TEXT NOT NULL, description TEXT, tags TEXT, product_line TEXT, category_path TEXT, unit_id BIGINT,
  latest_version BIGINT, file_name TEXT, content_type TEXT, size_bytes BIGINT, sha256 TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX materials_unit ON materials (tenant_id, unit_id);
CREATE TABLE material_versions (
  tenant_id BIGINT NOT NULL, material_id BIGINT NOT NULL, version BIGINT NOT NULL, file_name TEXT NOT NULL,
  content_type TEXT NOT NULL, size_bytes BIGINT NOT NULL, sha256 TEXT NOT NULL, note TEXT, content TEXT NOT NULL,
  created_at TEXT NOT NULL, created_by BIGINT,
  PRIMARY KEY (tenant_id, material_id, version));
CREATE TABLE case_reviews (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  unit_id BIGINT NOT NULL, title TEXT NOT NULL, opportunity_id BIGINT, customer_id BIGINT, outcome TEXT NOT NULL,
  background TEXT, went_well TEXT, went_wrong TEXT, lessons TEXT, tags TEXT, author_id BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX case_reviews_unit ON case_reviews (tenant_id, unit_id);
CREATE TABLE feedback_links (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT NOT NULL, store_id BIGINT, title TEXT,
  prefix TEXT NOT NULL, token_hash TEXT NOT NULL, expires_at TEXT, revoked_at TEXT, created_at TEXT NOT NULL, created_by BIGINT,
  window_start TEXT, window_count BIGINT NOT NULL, submissions BIGINT NOT NULL, last_submitted_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE UNIQUE INDEX feedback_links_token ON feedback_links (token_hash);
ALTER TABLE feedback ADD COLUMN contact_name TEXT;
ALTER TABLE feedback ADD COLUMN contact TEXT;
ALTER TABLE feedback ADD COLUMN link_id BIGINT;
)SQL",
     R"SQL(
CREATE VIRTUAL TABLE materials_fts USING fts5(title, tags, content='materials', content_rowid='rowid', tokenize='trigram');
CREATE TRIGGER materials_fts_ai AFTER INSERT ON materials BEGIN INSERT INTO materials_fts(rowid, title, tags) VALUES (new.rowid, new.title, new.tags); END;
CREATE TRIGGER materials_fts_ad AFTER DELETE ON materials BEGIN INSERT INTO materials_fts(materials_fts, rowid, title, tags) VALUES ('delete', old.rowid, old.title, old.tags); END;
CREATE TRIGGER materials_fts_au AFTER UPDATE ON materials WHEN new.title IS NOT old.title OR new.tags IS NOT old.tags BEGIN INSERT INTO materials_fts(materials_fts, rowid, title, tags) VALUES ('delete', old.rowid, old.title, old.tags); INSERT INTO materials_fts(rowid, title, tags) VALUES (new.rowid, new.title, new.tags); END;
CREATE VIRTUAL TABLE case_reviews_fts USING fts5(title, background, went_well, went_wrong, lessons, tags, content='case_reviews', content_rowid='rowid', tokenize='trigram');
CREATE TRIGGER case_reviews_fts_ai AFTER INSERT ON case_reviews BEGIN INSERT INTO case_reviews_fts(rowid, title, background, went_well, went_wrong, lessons, tags) VALUES (new.rowid, new.title, new.background, new.went_well, new.went_wrong, new.lessons, new.tags); END;
CREATE TRIGGER case_reviews_fts_ad AFTER DELETE ON case_reviews BEGIN INSERT INTO case_reviews_fts(case_reviews_fts, rowid, title, background, went_well, went_wrong, lessons, tags) VALUES ('delete', old.rowid, old.title, old.background, old.went_well, old.went_wrong, old.lessons, old.tags); END;
CREATE TRIGGER case_reviews_fts_au AFTER UPDATE ON case_reviews WHEN new.title IS NOT old.title OR new.background IS NOT old.background OR new.went_well IS NOT old.went_well OR new.went_wrong IS NOT old.went_wrong OR new.lessons IS NOT old.lessons OR new.tags IS NOT old.tags BEGIN INSERT INTO case_reviews_fts(case_reviews_fts, rowid, title, background, went_well, went_wrong, lessons, tags) VALUES ('delete', old.rowid, old.title, old.background, old.went_well, old.went_wrong, old.lessons, old.tags); INSERT INTO case_reviews_fts(rowid, title, background, went_well, went_wrong, lessons, tags) VALUES (new.rowid, new.title, new.background, new.went_well, new.went_wrong, new.lessons, new.tags); END;
)SQL",
     R"SQL(
CREATE INDEX materials_title_trgm ON materials USING gin (LOWER(title) gin_trgm_ops);
CREATE INDEX materials_tags_trgm ON materials USING gin (LOWER(tags) gin_trgm_ops);
CREATE INDEX case_reviews_title_trgm ON case_reviews USING gin (LOWER(title) gin_trgm_ops);
CREATE INDEX case_reviews_background_trgm ON case_reviews USING gin (LOWER(background) gin_trgm_ops);
CREATE INDEX case_reviews_went_well_trgm ON case_reviews USING gin (LOWER(went_well) gin_trgm_ops);
CREATE INDEX case_reviews_went_wrong_trgm ON case_reviews USING gin (LOWER(went_wrong) gin_trgm_ops);
CREATE INDEX case_reviews_lessons_trgm ON case_reviews USING gin (LOWER(lessons) gin_trgm_ops);
CREATE INDEX case_reviews_tags_trgm ON case_reviews USING gin (LOWER(tags) gin_trgm_ops);
)SQL"},
    // 8 and 9 are reserved for other parts of issue 6 (expenses, materials).
    {10, "units: authorisation boundaries, reports, compliance checkpoints and events, member sandboxes",
     R"SQL(
CREATE TABLE boundary_rules (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT NOT NULL, action TEXT NOT NULL,
  mode TEXT NOT NULL, limit_amount BIGINT, note TEXT, created_at TEXT NOT NULL, created_by BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX boundary_rules_unit ON boundary_rules (tenant_id, unit_id, action);
CREATE TABLE boundary_reports (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT NOT NULL, action TEXT NOT NULL,
  object TEXT, record_id BIGINT, amount BIGINT NOT NULL, summary TEXT, rule_id BIGINT, actor_id BIGINT, at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX boundary_reports_unit ON boundary_reports (tenant_id, unit_id);
CREATE TABLE compliance_checkpoints (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, name TEXT NOT NULL, object TEXT NOT NULL,
  on_event TEXT NOT NULL, condition_expr TEXT NOT NULL, outcome TEXT NOT NULL, message_zh TEXT NOT NULL, message_en TEXT NOT NULL,
  active BIGINT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, created_by BIGINT, archived_at TEXT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX compliance_checkpoints_object ON compliance_checkpoints (tenant_id, object, on_event);
CREATE TABLE compliance_events (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, checkpoint_id BIGINT NOT NULL, checkpoint_name TEXT NOT NULL,
  object TEXT NOT NULL, on_event TEXT NOT NULL, record_id BIGINT, unit_id BIGINT, outcome TEXT NOT NULL, reason TEXT,
  actor_id BIGINT, at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX compliance_events_record ON compliance_events (tenant_id, object, record_id);
CREATE TABLE unit_sandboxes (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), unit_id BIGINT NOT NULL, allowed_roles TEXT NOT NULL, max_members BIGINT,
  may_disable BIGINT NOT NULL, updated_at TEXT NOT NULL, updated_by BIGINT,
  PRIMARY KEY (tenant_id, unit_id));
CREATE TABLE sandbox_log (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, unit_id BIGINT NOT NULL, actor_id BIGINT NOT NULL,
  action TEXT NOT NULL, user_id BIGINT NOT NULL, before TEXT, after TEXT, at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX sandbox_log_unit ON sandbox_log (tenant_id, unit_id);
)SQL",
     "", ""},
    {11, "a quote's order",
     R"SQL(
ALTER TABLE quotes ADD COLUMN order_id BIGINT;
)SQL",
     "", ""},
    {12, "saved views and dashboards of the web front end",
     R"SQL(
CREATE TABLE views (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), id BIGINT NOT NULL, )SQL" KEEL_ENTITY_TAIL R"SQL(
  kind TEXT NOT NULL, entity TEXT, name TEXT NOT NULL, audience TEXT NOT NULL, config TEXT NOT NULL, owner_id BIGINT, unit_id BIGINT,
  PRIMARY KEY (tenant_id, id));
CREATE INDEX views_owner ON views (tenant_id, owner_id);
CREATE INDEX views_unit ON views (tenant_id, unit_id);
)SQL",
     "", ""},
    {13, "a contract's approval request",
     R"SQL(
ALTER TABLE contracts ADD COLUMN approval_id BIGINT;
UPDATE contracts SET approval_id = (SELECT MAX(r.id) FROM approval_requests r WHERE r.tenant_id = contracts.tenant_id
  AND r.object = 'contracts' AND r.record_id = contracts.id);
)SQL",
     "", ""},
    {14, "a return's original order",
     R"SQL(
ALTER TABLE orders ADD COLUMN return_of BIGINT;
CREATE INDEX orders_return_of ON orders (tenant_id, return_of);
)SQL",
     "", ""},
    {15, "one cursor table for every background consumer (events::Consumer)",
     // The AI rescoring and text analysis cursors move here from ai_state.scored_seq and
     // text_state.seq (those columns are no longer read).
     R"SQL(
CREATE TABLE consumer_cursors (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), consumer TEXT NOT NULL, seq BIGINT NOT NULL, updated_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, consumer));
INSERT INTO consumer_cursors (tenant_id, consumer, seq, updated_at) SELECT tenant_id, 'ai', scored_seq, updated_at FROM ai_state WHERE tenant_id IN (SELECT id FROM tenants);
INSERT INTO consumer_cursors (tenant_id, consumer, seq, updated_at) SELECT tenant_id, 'text', seq, updated_at FROM text_state WHERE tenant_id IN (SELECT id FROM tenants);
)SQL",
     "", ""},
    {16, "token hashes unique per tenant (a distributed table's unique keys start with tenant_id)",
     // Tokens are 256-bit random values: a hash is unique everywhere in practice, and resolving
     // one stays a single indexed lookup. On PostgreSQL the unique keys become (tenant_id,
     // token_hash) so the tables can be distributed by tenant (docs/scale-out.md,
     // tests/store/distribution_test.cc); a SQLite database is never distributed and keeps its
     // column constraints.
     "", "",
     R"SQL(
ALTER TABLE sessions DROP CONSTRAINT sessions_token_hash_key;
CREATE UNIQUE INDEX sessions_tenant_token ON sessions (tenant_id, token_hash);
CREATE INDEX sessions_token ON sessions (token_hash);
ALTER TABLE api_keys DROP CONSTRAINT api_keys_token_hash_key;
CREATE UNIQUE INDEX api_keys_tenant_token ON api_keys (tenant_id, token_hash);
CREATE INDEX api_keys_token ON api_keys (token_hash);
DROP INDEX feedback_links_token;
CREATE UNIQUE INDEX feedback_links_tenant_token ON feedback_links (tenant_id, token_hash);
CREATE INDEX feedback_links_token ON feedback_links (token_hash);
)SQL"},
    {17, "leases: which node runs a consumer or a job for a tenant (scale-out)",
     // expires_at is milliseconds since the epoch on the holder's clock; token is the fencing
     // token, raised each time the lease changes hands (events/lease.h).
     R"SQL(
CREATE TABLE leases (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), name TEXT NOT NULL, holder TEXT NOT NULL,
  token BIGINT NOT NULL, expires_at BIGINT NOT NULL, acquired_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name));
)SQL",
     "", ""},
    {18, "job claims: a scheduled job runs once per tenant and period across nodes",
     R"SQL(
CREATE TABLE job_claims (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), job TEXT NOT NULL, period TEXT NOT NULL,
  holder TEXT NOT NULL, claimed_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, job, period));
)SQL",
     "", ""},
    {19, "exactly-once side effects: one firing alert per rule and group, notifications keyed and claimed",
     // Several nodes (or a node that was paused past its lease) must not double an alert or a
     // notification. A rule's group has at most one firing alert (older duplicates, if a
     // previous version left any, are resolved first); every notification carries a natural key
     // (alert + route step + recipient, alert + change + webhook) inserted with ON CONFLICT DO
     // NOTHING. A webhook delivery keeps its message (payload) so that any node can send it after
     // its node died, and is claimed (status 'sending' until claimed_until) before it is sent.
     R"SQL(
UPDATE alerts SET state = 'resolved', resolved_at = updated_at, next_step_at = NULL
  WHERE state = 'firing' AND EXISTS (SELECT 1 FROM alerts b WHERE b.tenant_id = alerts.tenant_id AND b.rule = alerts.rule
    AND b.group_key = alerts.group_key AND b.state = 'firing' AND b.id < alerts.id);
CREATE UNIQUE INDEX alerts_firing_once ON alerts (tenant_id, rule, group_key) WHERE state = 'firing';
ALTER TABLE notifications ADD COLUMN dedup_key TEXT;
ALTER TABLE notifications ADD COLUMN payload TEXT;
ALTER TABLE notifications ADD COLUMN claimed_until TEXT;
CREATE UNIQUE INDEX notifications_once ON notifications (tenant_id, dedup_key);
CREATE INDEX notifications_pending ON notifications (tenant_id, status, created_at);
)SQL",
     "", ""},
    {20, "row-level security: a transaction sees and writes only its tenant's rows (PostgreSQL)",
     // The store sets keel.tenant_id in each transaction to the thread's tenant or, for a thread
     // without a TenantScope, to 'system'; a session that never sets it (psql) sees nothing. The policy
     // calls these functions in scalar subqueries, which PostgreSQL evaluates once per statement
     // (an InitPlan), not once per row: a 50,000-row scan cost 2.3 times as much with the setting
     // read per row (bench/rls_bench). The tables are switched on by kRowSecurityEverywhere,
     // which Migrate runs after every migration from this one on.
     "", "",
     R"SQL(
CREATE OR REPLACE FUNCTION keel_scope_tenant() RETURNS BIGINT LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN current_setting('keel.tenant_id', true) ~ '^[0-9]+$'
              THEN current_setting('keel.tenant_id', true)::BIGINT END
$$;
CREATE OR REPLACE FUNCTION keel_scope_system() RETURNS BOOLEAN LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT current_setting('keel.tenant_id', true) IS NOT DISTINCT FROM 'system'
$$;
)SQL"},
    {21, "dataset model versions: every training of an uploaded dataset keeps its model and card",
     // A dataset model can score rows sent to it and be promoted to score the tenant's leads or
     // deals (it then also becomes a version in ai_models); promoted_to/promoted_version say where.
     R"SQL(
CREATE TABLE ai_dataset_models (
  tenant_id BIGINT NOT NULL REFERENCES tenants(id), dataset_id BIGINT NOT NULL, version BIGINT NOT NULL,
  card TEXT NOT NULL, encoder TEXT NOT NULL, model TEXT NOT NULL, created_at TEXT NOT NULL, created_by BIGINT,
  promoted_to TEXT, promoted_version BIGINT,
  PRIMARY KEY (tenant_id, dataset_id, version));
)SQL",
     "", ""},
};

// Every table of the schema with a tenant_id column: row-level security on, forced for the owner
// too (Keel's login role usually owns the tables), with the one policy. Idempotent; a table added
// by a later migration is covered the next time Migrate runs.
constexpr const char* kRowSecurityEverywhere = R"SQL(
DO $$
DECLARE t RECORD;
BEGIN
  FOR t IN SELECT c.oid, c.relname FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
             AND NOT (c.relrowsecurity AND c.relforcerowsecurity AND EXISTS (
               SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'keel_tenant'))
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
    IF NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.oid AND p.polname = 'keel_tenant') THEN
      EXECUTE format('CREATE POLICY keel_tenant ON %I '
                     'USING ((SELECT keel_scope_system()) OR tenant_id = (SELECT keel_scope_tenant())) '
                     'WITH CHECK ((SELECT keel_scope_system()) OR tenant_id = (SELECT keel_scope_tenant()))', t.relname);
    END IF;
  END LOOP;
END $$;
)SQL";
constexpr int kRowSecuritySince = 20;

}  // namespace

int LatestSchemaVersion() {
  return kMigrations[std::size(kMigrations) - 1].version;
}

Result<int> CurrentSchemaVersion(Connection& conn) {
  KEEL_RETURN_IF_ERROR(conn.ExecScript(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  KEEL_ASSIGN_OR_RETURN(Rows r,
                        conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  return static_cast<int>(AsInt(r.rows[0][0]));
}

Status CheckSchemaNotNewer(Connection& conn) {
  KEEL_ASSIGN_OR_RETURN(Rows r, conn.Query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  const int current = static_cast<int>(AsInt(r.rows[0][0]));
  if (current <= LatestSchemaVersion()) return Status();
  return Status::Error(ErrorKind::kUnavailable, "store.schema_newer",
                       "the database was migrated by a newer Keel (schema " + std::to_string(current) + ", this node knows " +
                           std::to_string(LatestSchemaVersion()) + "): upgrade this node",
                       "数据库已由更新版本的 Keel 迁移（结构版本 " + std::to_string(current) + "，本节点仅支持到 " +
                           std::to_string(LatestSchemaVersion()) + "），请升级本节点");
}

Result<int> Migrate(Database& db) {
  KEEL_ASSIGN_OR_RETURN(PooledConnection conn, db.Acquire());
  // An older binary never runs on a newer schema (a node restarted mid-upgrade): it stops here.
  KEEL_RETURN_IF_ERROR(CurrentSchemaVersion(*conn).status());  // creates schema_migrations on a new database
  KEEL_RETURN_IF_ERROR(CheckSchemaNotNewer(*conn));
  int applied = 0;
  for (const Migration& m : kMigrations) {
    KEEL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*conn, true));
    // Re-read inside the write transaction: two processes migrating at once apply each
    // migration exactly once (the second one waits for the lock, then sees it applied).
    if (conn->backend() == Backend::kPostgres) {
      KEEL_RETURN_IF_ERROR(conn->ExecScript("SELECT pg_advisory_xact_lock(7250001)"));
    }
    KEEL_ASSIGN_OR_RETURN(int current, CurrentSchemaVersion(*conn));
    if (m.version <= current) continue;
    KEEL_RETURN_IF_ERROR(conn->ExecScript(m.common));
    KEEL_RETURN_IF_ERROR(
        conn->ExecScript(conn->backend() == Backend::kSqlite ? m.sqlite : m.postgres));
    Value p[] = {int64_t{m.version}, std::string(m.name),
                 FormatTimestamp(Clock::System()->NowMs())};
    KEEL_RETURN_IF_ERROR(
        conn->Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                   p)
            .status());
    if (conn->backend() == Backend::kPostgres && m.version >= kRowSecuritySince) {
      KEEL_RETURN_IF_ERROR(conn->ExecScript(kRowSecurityEverywhere));
    }
    KEEL_RETURN_IF_ERROR(tx.Commit());
    ++applied;
  }
  if (conn->backend() == Backend::kPostgres) {
    auto role = conn->Query("SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user");
    if (role.ok() && !role->rows.empty() && AsInt(role->rows[0][1]) != 0) {
      spdlog::warn("PostgreSQL role {} is a superuser or has BYPASSRLS: row-level security does not apply to it. "
                   "Connect as an ordinary role that owns the database (docs/deploy.md)",
                   AsText(role->rows[0][0]));
    }
  }
  return applied;
}

}  // namespace keel::store
