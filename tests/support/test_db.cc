#include "support/test_db.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <vector>

namespace keel::testing {

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  close(fd);
  return port;
}

namespace {

std::mutex g_mu;
std::vector<std::string> g_dirs;


int Run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class Cluster {
 public:
  Cluster() {
    bin_ = "/usr/lib/postgresql/15/bin";
    if (!std::filesystem::exists(bin_ + "/initdb")) {
      throw std::runtime_error("PostgreSQL 15 server binaries not found in " + bin_ +
                               " (run scripts/install-deps)");
    }
    dir_ = TempDir() + "/pg";
    std::filesystem::create_directories(dir_);
    as_ = geteuid() == 0 ? "runuser -u postgres -- " : "";
    if (geteuid() == 0) {
      Run("chown -R postgres:postgres '" + dir_ + "' && chmod 700 '" + dir_ + "'");
      Run("chmod 755 '" + std::filesystem::path(dir_).parent_path().string() + "'");
    }
    port_ = FreePort();
    std::string log = dir_ + "/initdb.log";
    if (Run(as_ + bin_ + "/initdb -D '" + dir_ + "/data' -U postgres --auth=trust -E UTF8 "
            "--locale=C.UTF-8 > '" + dir_ + "/initdb.log' 2>&1") != 0) {
      throw std::runtime_error("initdb failed; see " + log);
    }
    std::string opts = "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
                       " -c unix_socket_directories='" + dir_ + "' -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
    if (Run(as_ + bin_ + "/pg_ctl -D '" + dir_ + "/data' -o \"" + opts + "\" -l '" + dir_ +
            "/server.log' -w -t 60 start > /dev/null 2>&1") != 0) {
      throw std::runtime_error("pg_ctl start failed; see " + dir_ + "/server.log");
    }
  }
  ~Cluster() {
    Run(as_ + bin_ + "/pg_ctl -D '" + dir_ + "/data' -m immediate -w stop > /dev/null 2>&1");
  }
  // Keel connects as `keel`, an ordinary role that owns its database, as in production: a
  // superuser would pass through row-level security unchecked.
  std::string Url(const std::string& db, const std::string& user = "keel") const {
    return "postgresql://" + user + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }
  std::string NewDb() {
    static std::atomic<int> n{0};
    std::string name = "keel_t" + std::to_string(getpid()) + "_" + std::to_string(++n);
    auto admin = store::Database::Open(Url("postgres", "postgres"), {.pool_size = 1});
    if (!admin.ok()) throw std::runtime_error(admin.status().ToString());
    auto conn = (*admin)->Acquire();
    if (!role_created_) {
      auto role = (*conn)->ExecScript("CREATE ROLE keel LOGIN NOSUPERUSER NOBYPASSRLS");
      if (!role.ok()) throw std::runtime_error(role.ToString());
      role_created_ = true;
    }
    auto st = (*conn)->ExecScript("CREATE DATABASE " + name + " OWNER keel");
    if (!st.ok()) throw std::runtime_error(st.ToString());
    return Url(name);
  }

 private:
  std::string bin_, dir_, as_;
  int port_ = 0;
  bool role_created_ = false;
};

Cluster& TheCluster() {
  static Cluster* cluster = [] {
    auto* c = new Cluster();
    std::atexit([] { delete &TheCluster(); });
    return c;
  }();
  return *cluster;
}

void RemoveDirs() {
  std::lock_guard g(g_mu);
  for (const auto& d : g_dirs) {
    std::error_code ec;
    std::filesystem::remove_all(d, ec);
  }
}

}  // namespace

std::string SourceDir() {
  const char* env = std::getenv("KEEL_SOURCE_DIR");
  return env ? env : KEEL_SOURCE_DIR_DEFAULT;
}

std::string BackendName(TestBackend b) { return b == TestBackend::kSqlite ? "sqlite" : "postgres"; }

std::string TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "keel-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  std::lock_guard g(g_mu);
  static bool registered = [] {
    std::atexit(RemoveDirs);
    return true;
  }();
  (void)registered;
  g_dirs.emplace_back(buf.data());
  return buf.data();
}

std::string NewPostgresUrl() {
  static std::mutex cluster_mu;
  std::lock_guard g(cluster_mu);
  return TheCluster().NewDb();
}

std::unique_ptr<store::Database> NewDatabase(TestBackend backend, std::string* url_out,
                                             int pool_size) {
  std::string url = backend == TestBackend::kSqlite ? TempDir() + "/keel.db" : NewPostgresUrl();
  store::DatabaseOptions opt;
  opt.pool_size = pool_size;
  opt.sqlite_synchronous = "NORMAL";
  auto db = store::Database::Open(url, opt);
  if (!db.ok()) throw std::runtime_error(db.status().ToString());
  auto m = store::Migrate(**db);
  if (!m.ok()) throw std::runtime_error(m.status().ToString());
  if (url_out) *url_out = url;
  return std::move(db).value();
}

std::string SharedDataset(const std::string& relative) {
  std::string base;
  if (const char* env = std::getenv("KEEL_DATASETS")) base = env;
  else base = SourceDir() + "/../shared/datasets";
  std::string path = base + "/" + relative;
  return std::filesystem::exists(path) ? path : std::string();
}

void InsertBareTenants(store::Database& db, std::initializer_list<int64_t> ids) {
  auto c = db.Acquire();
  if (!c.ok()) throw std::runtime_error(c.status().ToString());
  for (int64_t t : ids) {
    store::Value p[] = {t, "t" + std::to_string(t)};
    auto r = (*c)->Exec("INSERT INTO tenants (id, code, name, time_zone, currency, locale, status, created_at, updated_at) "
                        "VALUES (?, ?, 'T', 'UTC', 'CNY', 'en', 'active', 'x', 'x')", p);
    if (!r.ok()) throw std::runtime_error(r.status().ToString());
  }
}

}  // namespace keel::testing
