// Ingestion (数据接入): typed facts in bulk — POS transactions/orders with lines, activities
// (visits with check-in/out, calls, meetings), external signals, lead and stage changes, and
// tenant-defined custom event types — validated at the door against master data (store,
// customer and product codes, users, timestamps with a zone, currency), then written by one
// writer thread in group commits: many requests share one transaction, and a request is
// answered only after its transaction is durable. Each record may carry an idempotency key (its
// "id", or the request's Idempotency-Key plus its index); a key seen before is reported as a
// duplicate and not written again, atomically with the data. When the writer's queue is full
// the caller gets 429 with Retry-After instead of unbounded memory.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "domain/model.h"
#include "domain/records.h"
#include "store/database.h"

namespace keel::ingest {

using json = nlohmann::json;

struct IngestOptions {
  size_t max_records = 100000;       // per request
  size_t queue_records = 400000;     // records waiting for the writer; beyond → 429
  size_t group_records = 20000;      // records per group commit at most
  int64_t retry_after_s = 1;
};

struct RecordError {
  size_t index;
  Status status;
};

struct IngestReport {
  size_t received = 0, accepted = 0, duplicates = 0;
  std::vector<RecordError> errors;
  std::vector<size_t> duplicate_indexes;
};

// A custom event type as stored: its definition document as declared ({name, label: {zh, en},
// fields: [{name, type, required, label}]}, JSON text) with its version and creation time.
struct StoredEventType {
  std::string name;
  int64_t version = 0;
  std::string definition;
  std::string created_at;
};

class Ingestor {
 public:
  // References must outlive the ingestor.
  Ingestor(store::Database& db, domain::RecordService& records, const Clock& clock, IngestOptions options = {});
  ~Ingestor();
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  // Starts the writer thread (idempotent); Stop drains the queue, then ends it.
  void Start();
  void Stop();

  // `body` is a JSON array of records or NDJSON (one record per line). Blocks until every
  // valid record is durable or refused. Fails as a whole only on a malformed request (400),
  // too many records (413), a full queue (429) or a store failure.
  Result<IngestReport> Ingest(const domain::Principal& p, std::string_view body, std::string_view content_type,
                              const std::string& idempotency_key = {});
  // Records already parsed (CSV import, the live demo). Free-form JSON: a record is whatever its
  // type (built-in or a tenant's custom event type) declares, and its errors name its fields.
  Result<IngestReport> IngestRecords(const domain::Principal& p, std::vector<json> records,
                                     const std::string& idempotency_key = {});

  // Imports a CSV file of `type` records (docs/ingest.md) in chunks of `chunk` records, calling
  // `progress(done, total)` after each. Records are keyed by the file's content hash and their
  // position, so importing the same file again reports duplicates instead of counting twice.
  // Errors name the CSV line ("line 12: lines[0].sku").
  Result<IngestReport> ImportCsv(const domain::Principal& p, const std::string& type, std::string_view csv,
                                 const std::function<void(size_t, size_t)>& progress = {}, size_t chunk = 5000);

  // Custom event types: {name, label: {zh, en}, fields: [{name, type: number|text|bool|datetime|date, required}]}.
  // Active types by name (their created_at is the latest version's).
  Result<std::vector<StoredEventType>> ListTypes(const domain::Principal& p);
  // Declares or changes a type (admin, hq_ops) and returns it as stored (created_at empty). Takes
  // the definition document the user writes (JSON, kept as written after its checks; errors at
  // their path in it, "fields[2].type").
  Result<StoredEventType> SaveType(const domain::Principal& p, const json& definition);

  struct Stats {
    int64_t records = 0, groups = 0, rejected_busy = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::ingest
