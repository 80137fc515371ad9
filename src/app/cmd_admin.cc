// The administration subcommands: migrate, import, tenant create, user add/password, apikey
// create, secrets keygen/rotate, version, openapi.
#include <cstdio>
#include <functional>
#include <fstream>
#include <iterator>
#include <memory>

#include "app/commands.h"
#include "app/runtime.h"
#include "common/crypto.h"
#include "domain/schema.h"
#include "events/cluster.h"
#include "http/api.h"

namespace keel::app {

namespace {

// Opens the store on the system clock, or says why not (exit code in *rc).
std::unique_ptr<Store> Open(const Config& c, int* rc) {
  auto opened = OpenStore(c, c.sqlite_synchronous, *Clock::System());
  if (!opened.ok()) {
    *rc = Fail(opened.status());
    return nullptr;
  }
  return std::make_unique<Store>(std::move(opened).value());
}

// Opens the store and finds the tenant by its code, then runs `fn`; the exit code of whichever
// fails first.
int WithTenant(const Config& c, const std::string& code, const std::function<int(Store&, int64_t)>& fn) {
  int rc = 0;
  auto s = Open(c, &rc);
  if (!s) return rc;
  auto tenant = s->auth->TenantIdByCode(code);
  if (!tenant.ok()) return Fail(tenant.status());
  return fn(*s, *tenant);
}

// The id of the tenant's user `username`.
Result<int64_t> UserIdByName(Store& s, int64_t tenant, const std::string& username) {
  domain::QueryParams q = {{"username", username}};
  KEEL_ASSIGN_OR_RETURN(auto found, s.records->List(domain::Principal::System(tenant), *domain::FindEntity("users"), q));
  if (found.items.empty()) return Status::NotFound("user '" + username + "'");
  return found.items[0]["id"].get<int64_t>();
}

int Migrate(const Config& c) {
  int rc = 0;
  auto s = Open(c, &rc);
  if (!s) return rc;
  auto conn = s->db->Acquire();
  if (!conn.ok()) return Fail(conn.status());
  auto v = store::CurrentSchemaVersion(**conn);
  if (!v.ok()) return Fail(v.status());
  std::printf("schema version %d (%s)\n", *v, s->db->Describe().c_str());
  return 0;
}

// The OpenAPI document of this build, from an empty in-memory database.
int PrintOpenApi(Config c) {
  c.database = ":memory:";
  c.pool_size = 1;
  int rc = 0;
  auto s = Open(c, &rc);
  if (!s) return rc;
  Runtime rt(*s, *Clock::System());
  http::ApiServices services = rt.Services();
  events::ClusterView cluster(*s->db, *Clock::System(), {});  // its route is documented like the others
  services.cluster = &cluster;
  http::Api api(*s->db, *s->records, *s->auth, {kVersion}, services);
  std::printf("%s\n", api.OpenApi().dump(1).c_str());
  return 0;
}

struct ImportArgs {
  std::string tenant, type, file;
};

int Import(Store& s, int64_t tenant, const ImportArgs& a) {
  std::ifstream in(a.file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  ingest::Ingestor ingest(*s.db, *s.records, *Clock::System());
  ingest.Start();
  auto r = ingest.ImportCsv(domain::Principal::System(tenant), a.type, text, [](size_t done, size_t total) {
    std::printf("imported %zu/%zu records (%.0f%%)\n", done, total, total ? 100.0 * done / total : 100.0);
    std::fflush(stdout);
  });
  ingest.Stop();
  if (!r.ok()) return Fail(r.status());
  std::printf("%zu records: %zu accepted, %zu duplicates, %zu rejected\n", r->received, r->accepted, r->duplicates, r->errors.size());
  for (size_t i = 0; i < r->errors.size() && i < 50; ++i) {
    const auto& e = r->errors[i].status;
    std::printf("  %s: %s / %s [%s]\n", e.field().c_str(), e.message_en().c_str(), e.message_zh().c_str(), e.code().c_str());
  }
  if (r->errors.size() > 50) std::printf("  … %zu more\n", r->errors.size() - 50);
  return r->errors.empty() ? 0 : 1;
}

int RotateSecrets(const Config& c) {
  auto box = LoadSecretBox(c, /*create_default=*/false);
  if (!box.ok()) return Fail(box.status());
  if (!box->has_key()) {
    return Fail(Status::Invalid("config.secret_key", "no secret key is configured (KEEL_SECRET_KEY or secret-key-file)",
                                      "未配置密钥（KEEL_SECRET_KEY 或 secret-key-file）", "secret-key"));
  }
  auto opened = OpenStore(c, c.sqlite_synchronous, *Clock::System());
  if (!opened.ok()) return Fail(opened.status());
  Runtime rt(*opened, *Clock::System(), {.secrets = &*box, .periodic = false});
  auto hooks = rt.alerts.ResealSecrets();
  if (!hooks.ok()) return Fail(hooks.status());
  auto llm = rt.text.ResealSecrets();
  if (!llm.ok()) return Fail(llm.status());
  std::printf("webhooks: %lld re-encrypted, %lld unreadable; LLM keys: %lld re-encrypted, %lld unreadable\n",
              static_cast<long long>(hooks->resealed), static_cast<long long>(hooks->unreadable),
              static_cast<long long>(llm->resealed), static_cast<long long>(llm->unreadable));
  if (hooks->unreadable + llm->unreadable > 0) {
    std::printf("some secrets open with none of the configured keys: give the key that sealed them as KEEL_SECRET_KEY_OLD, "
                "or enter them again\n");
    return 1;
  }
  return 0;
}

int CreateTenant(const Config& c, const domain::NewTenant& nt) {
  int rc = 0;
  auto opened = Open(c, &rc);
  if (!opened) return rc;
  Store& s = *opened;
  auto id = s.auth->CreateTenant(nt);
  if (!id.ok()) return Fail(id.status());
  std::printf("tenant '%s' created (id %lld)\n", nt.code.c_str(), static_cast<long long>(*id));
  return 0;
}

struct UserArgs {
  std::string tenant, name, display, role = "admin", password, unit;
};

// `add`: a new user; otherwise a new password for an existing one.
int User(Store& s, int64_t tenant, const UserArgs& a, bool add) {
  std::string pw = ReadPassword(a.password, "KEEL_PASSWORD");
  bool generated = pw.empty();
  if (generated) pw = RandomToken(12);
  auto sys = domain::Principal::System(tenant);
  const auto& users = *domain::FindEntity("users");
  if (add) {
    domain::QueryParams q = {{"code", a.unit.empty() ? "HQ" : a.unit}};
    auto units = s.records->List(sys, *domain::FindEntity("units"), q);
    if (!units.ok()) return Fail(units.status());
    if (units->items.empty()) return Fail(Status::NotFound("unit '" + a.unit + "'"));
    auto created = s.records->Create(sys, users,
                                     {{"username", a.name},
                                      {"display_name", a.display.empty() ? a.name : a.display},
                                      {"role", a.role},
                                      {"unit_id", units->items[0]["id"]},
                                      {"password", pw}});
    if (!created.ok()) return Fail(created.status());
    std::printf("user '%s' (%s) added to tenant '%s'\n", a.name.c_str(), a.role.c_str(), a.tenant.c_str());
  } else {
    auto id = UserIdByName(s, tenant, a.name);
    if (!id.ok()) return Fail(id.status());
    auto updated = s.records->Update(sys, users, *id, {{"password", pw}});
    if (!updated.ok()) return Fail(updated.status());
    (void)s.auth->RevokeSessions(sys, *id);
    std::printf("password of '%s' changed; their sessions were ended\n", a.name.c_str());
  }
  if (generated) std::printf("password: %s (shown once)\n", pw.c_str());
  return 0;
}

struct KeyArgs {
  std::string tenant, user, name = "cli";
  int days = 365;
};

int CreateApiKey(Store& s, int64_t tenant, const KeyArgs& a) {
  auto user = UserIdByName(s, tenant, a.user);
  if (!user.ok()) return Fail(user.status());
  auto key = s.auth->CreateApiKey(domain::Principal::System(tenant), {.name = a.name, .user_id = *user, .expires_in_days = a.days});
  if (!key.ok()) return Fail(key.status());
  std::printf("API key %lld for '%s' (expires %s):\n%s\n(shown once; send as 'Authorization: Bearer <key>')\n",
              static_cast<long long>(key->id), a.user.c_str(), key->expires_at.c_str(), key->token.c_str());
  return 0;
}

}  // namespace

void AddAdminCommands(CLI::App& app, Config& c, Commands& out) {
  auto* migrate = app.add_subcommand("migrate", "Apply pending schema migrations and exit");
  AddCommon(migrate, c);
  out.push_back({migrate, [&c] { return Migrate(c); }});

  auto im = std::make_shared<ImportArgs>();
  auto* import = app.add_subcommand("import", "Import a CSV file of facts (orders, activities, signals, leads, custom types)");
  AddCommon(import, c);
  import->add_option("--tenant", im->tenant, "tenant code")->required();
  import->add_option("--type", im->type, "order, activity, signal, lead or a custom event type")->required();
  import->add_option("--file", im->file, "the CSV file (UTF-8, header row)")->required()->check(CLI::ExistingFile);
  out.push_back({import, [&c, im] { return WithTenant(c, im->tenant, [&](Store& s, int64_t t) { return Import(s, t, *im); }); }});

  auto nt = std::make_shared<domain::NewTenant>();
  auto* tenant = app.add_subcommand("tenant", "Manage tenants");
  tenant->require_subcommand(1);
  auto* tenant_create = tenant->add_subcommand("create", "Create a tenant with its HQ unit");
  AddCommon(tenant_create, c);
  tenant_create->add_option("--code", nt->code, "tenant code (a-z 0-9 - _)")->required();
  tenant_create->add_option("--name", nt->name, "display name")->required();
  tenant_create->add_option("--time-zone", nt->time_zone, "IANA time zone")->capture_default_str();
  tenant_create->add_option("--currency", nt->currency, "ISO-4217 currency")->capture_default_str();
  out.push_back({tenant_create, [&c, nt] { return CreateTenant(c, *nt); }});

  auto u = std::make_shared<UserArgs>();
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user (an admin by default) to a tenant");
  AddCommon(user_add, c);
  user_add->add_option("--tenant", u->tenant, "tenant code")->required();
  user_add->add_option("--username", u->name, "login name")->required();
  user_add->add_option("--display-name", u->display, "display name (default: the username)");
  user_add->add_option("--role", u->role, "admin, hq_ops, unit_lead, supervisor, rep, analyst, auditor")->capture_default_str();
  user_add->add_option("--unit", u->unit, "unit code (default: the HQ unit)");
  user_add->add_option("--password", u->password, "password (env KEEL_PASSWORD; min 10 characters)");
  out.push_back({user_add, [&c, u] { return WithTenant(c, u->tenant, [&](Store& s, int64_t t) { return User(s, t, *u, true); }); }});
  auto* user_pw = user->add_subcommand("password", "Set a user's password and end their sessions");
  AddCommon(user_pw, c);
  user_pw->add_option("--tenant", u->tenant, "tenant code")->required();
  user_pw->add_option("--username", u->name, "login name")->required();
  user_pw->add_option("--password", u->password, "new password (env KEEL_PASSWORD)");
  out.push_back({user_pw, [&c, u] { return WithTenant(c, u->tenant, [&](Store& s, int64_t t) { return User(s, t, *u, false); }); }});

  auto k = std::make_shared<KeyArgs>();
  auto* apikey = app.add_subcommand("apikey", "Manage API keys");
  apikey->require_subcommand(1);
  auto* apikey_create = apikey->add_subcommand("create", "Create an API key acting as a user");
  AddCommon(apikey_create, c);
  apikey_create->add_option("--tenant", k->tenant, "tenant code")->required();
  apikey_create->add_option("--username", k->user, "the user the key acts as")->required();
  apikey_create->add_option("--name", k->name, "a label")->capture_default_str();
  apikey_create->add_option("--days", k->days, "days until it expires")->capture_default_str()->check(CLI::Range(1, 3650));
  out.push_back({apikey_create, [&c, k] { return WithTenant(c, k->tenant, [&](Store& s, int64_t t) { return CreateApiKey(s, t, *k); }); }});

  auto* secrets = app.add_subcommand("secrets", "Keys that encrypt stored secrets (webhooks, API keys of outside services)");
  secrets->require_subcommand(1);
  auto* secrets_keygen = secrets->add_subcommand("keygen", "Print a new random key (for KEEL_SECRET_KEY or a key file)");
  out.push_back({secrets_keygen, [] {
                   std::printf("%s\n", NewSecretKeyText().c_str());
                   return 0;
                 }});
  auto* secrets_rotate = secrets->add_subcommand(
      "rotate", "Re-encrypt every stored secret with the current key (KEEL_SECRET_KEY / secret-key-file), opening them "
                "with the old one (KEEL_SECRET_KEY_OLD / secret-key-file-old); `serve` also does this when it starts");
  AddCommon(secrets_rotate, c);
  out.push_back({secrets_rotate, [&c] { return RotateSecrets(c); }});

  out.push_back({app.add_subcommand("version", "Print the version"), [] {
                   std::printf("keel %s (schema %d)\n", kVersion, store::LatestSchemaVersion());
                   return 0;
                 }});
  out.push_back({app.add_subcommand("openapi", "Print the OpenAPI document of this build (docs/openapi.json)"),
                 [&c] { return PrintOpenApi(c); }});
}

}  // namespace keel::app
