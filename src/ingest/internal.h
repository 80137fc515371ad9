// Internals of ingestion shared by its translation units: the validated record, the per-tenant
// cache of master-data codes, the field readers and the ingestor's state. Not part of the
// public surface.
#pragma once

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "events/event_log.h"
#include "ingest/ingest.h"
#include "ingest/store.h"

namespace keel::ingest {

using domain::Principal;

// ---- field readers (prepare.cc); errors name the record's field

Status Bad(const std::string& field, const std::string& code, const std::string& en, const std::string& zh);
Status Required(const std::string& field);
Status Unknown(const std::string& field, const std::string& what_en, const std::string& what_zh, const std::string& code);
Result<TimeMs> TimeField(const json& r, const char* key, bool required);
Result<std::string> TextField(const json& r, const char* key, bool required, size_t max = 200);
// Money in minor units; at most two decimals.
Result<int64_t> Money(const json& r, const char* key, bool required, const std::string& field);
bool OneOf(const std::string& v, std::initializer_list<const char*> options);
// Text at `key`, or "" when it is absent or not text (never throws on a wrong type).
std::string Str(const json& obj, const char* key);
bool Flag(const json& obj, const char* key);
std::string Upper(std::string s);

struct StoreInfo { int64_t id = 0, unit = 0, manager = 0; };
struct CustomerInfo { int64_t id = 0, owner = 0, unit = 0; };
struct UserInfo { int64_t id = 0, unit = 0; };
struct FieldSpec { std::string name, type; bool required = false; };
struct TypeSpec { std::string name; std::vector<FieldSpec> fields; };

// Master data codes of one tenant, loaded lazily and refreshed code by code on a miss.
struct Cache {
  std::mutex mu;
  std::unordered_map<std::string, StoreInfo> stores;
  std::unordered_map<std::string, CustomerInfo> customers;
  std::unordered_map<std::string, int64_t> products;
  std::unordered_map<std::string, UserInfo> users;
  std::unordered_map<int64_t, UserInfo> users_by_id;
  std::map<std::string, TypeSpec> types;
  bool loaded = false;
};

struct Line { int64_t product, qty, unit_price, discount, amount; };

// A validated record waiting for the writer.
struct Prepared {
  size_t index = 0;
  std::string key;
  enum class Kind { kOrder, kActivity, kSignal, kCustom } kind = Kind::kOrder;
  TimeMs at = 0;
  int64_t owner = 0, unit = 0, customer = 0, store = 0;
  // order
  std::string code, channel, status, currency;
  std::vector<Line> lines;
  int64_t total = 0, discount_total = 0;
  // activity
  std::string akind, subject, notes, outcome;
  int64_t duration = -1;
  // signal
  std::string skind, source, title, body, url;
  double sentiment = NAN;
  // custom
  std::string type;
  json data;
};

struct Batch {
  int64_t tenant = 0, actor = 0;
  std::vector<Prepared> records;
  std::promise<Result<std::vector<int>>> done;  // per record: 0 written, 1 duplicate
};

struct Ingestor::Impl {
  store::Database& db;
  domain::RecordService& records;
  const Clock& clock;
  IngestOptions opt;

  std::mutex caches_mu;
  std::map<int64_t, std::unique_ptr<Cache>> caches;

  std::mutex mu;  // guards queue, queued, stop, started
  std::condition_variable cv;
  std::deque<std::shared_ptr<Batch>> queue;
  size_t queued = 0;
  bool stop = false, started = false;
  std::thread writer;
  std::atomic<int64_t> written{0}, groups{0}, busy{0};

  Impl(store::Database& d, domain::RecordService& r, const Clock& c, IngestOptions o) : db(d), records(r), clock(c), opt(o) {}

  Cache& CacheOf(int64_t tenant) {
    std::lock_guard lock(caches_mu);
    auto& c = caches[tenant];
    if (!c) c = std::make_unique<Cache>();
    return *c;
  }
  Status Load(store::Connection& conn, int64_t tenant, Cache& c);
  Result<StoreInfo> FindStore(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code);
  Result<CustomerInfo> FindCustomer(store::Connection& conn, int64_t tenant, Cache& c, const std::string& code);
  Result<int64_t> FindProduct(store::Connection& conn, int64_t tenant, Cache& c, const std::string& sku);
  Result<UserInfo> FindUser(store::Connection& conn, int64_t tenant, Cache& c, const std::string& username);
  Result<UserInfo> UserById(store::Connection& conn, int64_t tenant, Cache& c, int64_t id);
  // Validates one record against the tenant's master data and fills `out` (prepare.cc).
  Status Prepare(store::Connection& conn, const Principal& p, Cache& c, const json& r, Prepared& out);
  Status PrepareOrder(store::Connection& conn, const Principal& p, Cache& c, const json& r, Prepared& out);
  Status PrepareActivity(const json& r, Prepared& out);
  Status PrepareSignal(const json& r, Prepared& out);
  Status PrepareCustom(Cache& c, const std::string& type, const json& r, Prepared& out);
  // Who: "rep" (a username) when given, else the fallback (the store's manager or the
  // customer's owner), else the caller. A rep may only write their own facts.
  Status ResolveOwner(store::Connection& conn, const Principal& p, Cache& c, const json& r, int64_t fallback_owner,
                      int64_t fallback_unit, Prepared& out);
  // The record API's scope rules for the prepared record: who may write it, whose it is, and
  // every store, customer, rep and unit it names (DESIGN §8: one rule on every path).
  Status CheckScope(store::Connection& conn, const Principal& p, const Prepared& r);
  // One group commit (writer.cc): every record of every batch, keys and events in one transaction.
  Status WriteGroup(std::vector<std::shared_ptr<Batch>>& group, std::vector<std::vector<int>>& outcome);
  // Adds one record's rows to the group's; fills the event it emits.
  void WriteRecord(repo::PendingRows& rows, const Batch& b, const Prepared& r, int64_t id, const std::string& now,
                   events::Event& ev);
  void Run();
  // IngestRecords' steps (ingest.cc): refuses order codes already taken (a retry with the same
  // key is a duplicate instead), and sends leads and stage changes through the record service.
  Status DropTakenCodes(store::Connection& conn, const Principal& p, Batch& batch, IngestReport& report);
  void WriteViaRecords(const Principal& p, const std::vector<json>& records, const std::vector<size_t>& indexes,
                       IngestReport& report);
  // Queues the batch for the writer and waits for its outcome.
  Status Enqueue(const std::shared_ptr<Batch>& batch, IngestReport& report);
};

}  // namespace keel::ingest
