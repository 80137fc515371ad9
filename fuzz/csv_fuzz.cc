// libFuzzer target for CSV imports (Ingestor::ImportCsv): arbitrary bytes as a CSV of orders,
// activities, signals or leads (the first byte picks which), imported by a rep of a small tenant
// into a real SQLite database. Whatever comes in, the importer answers with a report naming lines
// or a 4xx status — never a crash, a hang or a 500.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "domain/auth.h"
#include "domain/records.h"
#include "ingest/ingest.h"
#include "store/database.h"

namespace {

struct World {
  keel::ManualClock clock{keel::MsFromCivil(2026, 11, 27, 2, 0, 0)};
  std::unique_ptr<keel::store::Database> db;
  std::unique_ptr<keel::domain::RecordService> rs;
  std::unique_ptr<keel::domain::AuthService> auth;
  std::unique_ptr<keel::ingest::Ingestor> ingest;
  keel::domain::Principal rep;
};

World& TheWorld() {
  static World* w = [] {
    auto* world = new World();
    std::string dir = std::filesystem::temp_directory_path() / ("keel-csv-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    world->db = std::move(keel::store::Database::Open(dir + "/f.db").value());
    if (!keel::store::Migrate(*world->db).ok()) std::abort();
    world->rs = std::make_unique<keel::domain::RecordService>(*world->db, world->clock);
    world->auth = std::make_unique<keel::domain::AuthService>(*world->db, world->clock, *world->rs);
    int64_t tenant = world->auth->CreateTenant({"fz", "Fuzz"}).value();
    auto sys = keel::domain::Principal::System(tenant);
    auto& rs = *world->rs;
    auto units = rs.List(sys, *keel::domain::FindEntity("units"), {{"code", "HQ"}}).value();
    int64_t hq = units.items[0]["id"];
    int64_t unit = rs.Create(sys, *keel::domain::FindEntity("units"), {{"code", "U1"}, {"name", "战队"}, {"kind", "unit"}, {"parent_id", hq}})
                       .value()["id"];
    (void)rs.Create(sys, *keel::domain::FindEntity("stores"), {{"code", "S-A"}, {"name", "店"}, {"unit_id", unit}});
    (void)rs.Create(sys, *keel::domain::FindEntity("stores"), {{"code", "S-HQ"}, {"name", "总部店"}, {"unit_id", hq}});
    (void)rs.Create(sys, *keel::domain::FindEntity("products"),
                    {{"sku", "AC-1"}, {"name", "空调"}, {"category_path", "家电/空调"}, {"price", 3299}});
    int64_t rep = rs.Create(sys, *keel::domain::FindEntity("users"),
                            {{"username", "rep"}, {"display_name", "rep"}, {"role", "rep"}, {"unit_id", unit}})
                      .value()["id"];
    world->rep.tenant_id = tenant;
    world->rep.user_id = rep;
    world->rep.role = keel::domain::Role::kRep;
    world->rep.unit_id = unit;
    world->rep.unit_path = rs.Get(sys, *keel::domain::FindEntity("units"), unit).value()["path"];
    world->ingest = std::make_unique<keel::ingest::Ingestor>(*world->db, *world->rs, world->clock);
    world->ingest->Start();
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 64 * 1024) return 0;
  World& w = TheWorld();
  static const char* kTypes[] = {"order", "activity", "signal", "lead"};
  std::string_view csv(reinterpret_cast<const char*>(data + 1), size - 1);
  auto r = w.ingest->ImportCsv(w.rep, kTypes[data[0] % 4], csv);
  if (!r.ok() && r.status().kind() == keel::ErrorKind::kInternal) std::abort();  // a 500 is a bug
  return 0;
}
