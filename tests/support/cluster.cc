#include "support/cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/secrets.h"
#include "domain/auth.h"
#include "domain/records.h"
#include "support/http_client.h"
#include "support/org.h"
#include "support/test_clock.h"
#include "support/test_db.h"

namespace keel::testing {

bool Answers(int port, const std::string& path) {
  try {
    HttpClient c(port);
    return c.Get(path).status == 200;
  } catch (const std::exception&) {
    return false;
  }
}

pid_t Spawn(const std::string& log, const std::vector<std::string>& argv) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(4);
  }
  return pid;
}

double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> f; ++i) {  // field 3 is the state; 14 utime, 15 stime (proc(5))
    if (i == 14) utime = std::stol(f);
    if (i == 15) {
      stime = std::stol(f);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

Cluster::Cluster(std::string keel) : keel_(std::move(keel)), dir_(TempDir()), url_(NewPostgresUrl()) {}

Cluster::~Cluster() {
  for (auto& n : nodes_) Kill(n, SIGTERM);
  if (haproxy_ > 0) {
    kill(haproxy_, SIGTERM);
    waitpid(haproxy_, nullptr, 0);
  }
}

int64_t Cluster::SeedAcme() {
  auto db = std::move(store::Database::Open(url_).value());
  if (!store::Migrate(*db).ok()) return 0;
  domain::RecordService rs(*db, TestClock());
  domain::AuthService auth(*db, TestClock(), rs);
  return BuildOrg(rs, auth, "acme").tenant;
}

void Cluster::AddNode(const std::string& name) { nodes_.push_back({name, FreePort(), 0}); }

bool Cluster::Start(ClusterNode& n) {
  std::vector<std::string> argv = {keel_, "serve", "--port", std::to_string(n.port), "--database", url_,
                                   "--log-level", "info", "--lease-ttl-ms", "2000"};
  if (!config_.empty()) argv.insert(argv.end(), {"--config", config_});
  n.pid = Spawn(dir_ + "/" + n.name + ".log", argv);
  for (int i = 0; i < 400; ++i) {
    if (Answers(n.port, "/api/v1/ready")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

void Cluster::Kill(ClusterNode& n, int sig) {
  if (n.pid <= 0) return;
  kill(n.pid, sig);
  waitpid(n.pid, nullptr, 0);
  n.pid = 0;
}

bool Cluster::StartBalancer() {
  port_ = FreePort();
  std::string cfg = dir_ + "/haproxy.cfg";
  std::ofstream out(cfg);
  out << "global\n  maxconn 512\n\ndefaults\n  mode http\n  timeout connect 1s\n  timeout client 30s\n"
         "  timeout server 30s\n  timeout check 3s\n  retries 3\n  option redispatch\n  retry-on conn-failure empty-response\n\n"
         "frontend keel\n  bind 127.0.0.1:"
      << port_ << "\n  default_backend nodes\n\nbackend nodes\n  balance roundrobin\n"
      << "  option httpchk GET /api/v1/ready\n";
  for (const auto& n : nodes_) {
    out << "  server " << n.name << " 127.0.0.1:" << n.port << " check inter 200ms fall 3 rise 1\n";
  }
  out.close();
  haproxy_ = Spawn(dir_ + "/haproxy.log", {"/usr/sbin/haproxy", "-db", "-f", cfg});
  for (int i = 0; i < 200; ++i) {
    if (Answers(port_, "/api/v1/ready")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool Cluster::ShareSecretsAndAllowLoopback() {
  const std::string key_file = dir_ + "/secret.key";
  if (!CreateSecretKeyFile(key_file).ok()) return false;
  config_ = dir_ + "/keel.toml";
  std::ofstream(config_) << "secret-key-file = \"" << key_file << "\"\noutbound-allow = [\"127.0.0.1/32\"]\n";
  return true;
}

}  // namespace keel::testing
