// libFuzzer target for ingestion: arbitrary bytes as a JSON array or NDJSON body (the first
// byte picks which) against a real SQLite database with a small tenant. Whatever comes in,
// the ingestor must answer with a report or a 4xx status — never crash, hang or write half a
// record.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "domain/auth.h"
#include "domain/records.h"
#include "ingest/ingest.h"
#include "store/database.h"

namespace {

struct World {
  std::unique_ptr<keel::store::Database> db;
  std::unique_ptr<keel::domain::RecordService> rs;
  std::unique_ptr<keel::domain::AuthService> auth;
  std::unique_ptr<keel::ingest::Ingestor> ingest;
  keel::domain::Principal p;
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World();
    std::string dir = std::filesystem::temp_directory_path() / ("keel-ingest-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    world->db = std::move(keel::store::Database::Open(dir + "/f.db").value());
    if (!keel::store::Migrate(*world->db).ok()) std::abort();
    world->rs = std::make_unique<keel::domain::RecordService>(*world->db, *keel::Clock::System());
    world->auth = std::make_unique<keel::domain::AuthService>(*world->db, *keel::Clock::System(), *world->rs);
    int64_t tenant = world->auth->CreateTenant({"fz", "Fuzz"}).value();
    world->p = keel::domain::Principal::System(tenant);
    auto& rs = *world->rs;
    auto unit = rs.List(world->p, *keel::domain::FindEntity("units"), {{"code", "HQ"}}).value().items[0]["id"];
    (void)rs.Create(world->p, *keel::domain::FindEntity("stores"), {{"code", "S-A"}, {"name", "店"}, {"unit_id", unit}});
    (void)rs.Create(world->p, *keel::domain::FindEntity("products"),
                    {{"sku", "AC-1"}, {"name", "空调"}, {"category_path", "家电/空调"}, {"price", 3299}});
    (void)rs.Create(world->p, *keel::domain::FindEntity("users"),
                    {{"username", "rep"}, {"display_name", "rep"}, {"role", "rep"}, {"unit_id", unit}});
    world->ingest = std::make_unique<keel::ingest::Ingestor>(*world->db, *world->rs, *keel::Clock::System());
    world->ingest->Start();
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  World& w = TheWorld();
  const char* ct = (data[0] & 1) ? "application/x-ndjson" : "application/json";
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto r = w.ingest->Ingest(w.p, body, ct, (data[0] & 2) ? "fuzz-key" : "");
  if (!r.ok() && r.status().kind() == keel::ErrorKind::kInternal) std::abort();  // a 500 is a bug
  return 0;
}
