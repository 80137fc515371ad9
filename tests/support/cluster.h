// A real Keel cluster on loopback for tests and benchmarks (issue 17): a throw-away PostgreSQL
// database, `keel serve` nodes and HAProxy in front of them, all child processes of the caller
// (no containers). The keel binary is the caller's (KEEL_BINARY in tests/CMakeLists.txt).
#pragma once

#include <sys/types.h>

#include <cstdint>

#include <string>
#include <vector>

namespace keel::testing {

// Whether GET `path` on 127.0.0.1:`port` answers 200.
bool Answers(int port, const std::string& path);
// Starts `argv` (argv[0] a path) as a child process with stdout and stderr appended to `log`.
pid_t Spawn(const std::string& log, const std::vector<std::string>& argv);
// The CPU time (user + system, seconds) a process has used so far; 0 when it is gone.
double CpuSeconds(pid_t pid);

struct ClusterNode {
  std::string name;
  int port = 0;
  pid_t pid = 0;
};

class Cluster {
 public:
  // A new PostgreSQL database; `keel` is the binary the nodes run.
  explicit Cluster(std::string keel);
  ~Cluster();  // SIGTERM to every node and the balancer
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const std::string& url() const { return url_; }
  // Migrates the database and builds the test company "acme" (support/org.h); its tenant id.
  int64_t SeedAcme();
  const std::string& dir() const { return dir_; }

  void AddNode(const std::string& name);
  ClusterNode& node(size_t i) { return nodes_[i]; }
  size_t size() const { return nodes_.size(); }

  // Starts the node on its port (2 s leases) and waits until it is ready (false after 20 s).
  bool Start(ClusterNode& n);
  void Kill(ClusterNode& n, int sig);

  // HAProxy in front of every node added so far: health checks on /api/v1/ready every 200 ms, a
  // failed connection retried on another node. False when it did not answer within 10 s.
  bool StartBalancer();
  int balancer() const { return port_; }

  // Every node seals and opens webhook URLs with one key (as a deployment configures) and may
  // post to loopback receivers. Before Start; false when the key file could not be made.
  bool ShareSecretsAndAllowLoopback();

 private:
  std::string keel_, dir_, url_, config_;  // config_: keel.toml shared by the nodes, if any
  std::vector<ClusterNode> nodes_;
  pid_t haproxy_ = 0;
  int port_ = 0;
};

}  // namespace keel::testing
