// The HTTP server (Boost.Beast + Asio, C++20 coroutines): one coroutine per connection on a
// small thread pool, keep-alive, TCP_NODELAY, a per-request timeout, a body-size limit and a
// graceful shutdown that lets in-flight requests finish. Handlers are plain functions.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/net.h"
#include "http/router.h"

namespace keel::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;          // 0 picks a free port
  int threads = 2;               // I/O threads
  int workers = 4;               // handler threads (database work, password hashing)
  size_t body_limit = 16 * 1024 * 1024;
  int request_timeout_ms = 30000;
  int shutdown_grace_ms = 10000;
  // Peers whose X-Forwarded-For names the client (keel.toml trusted-proxies); empty: ignored.
  std::vector<keel::net::Cidr> trusted_proxies;
};

using RequestHandler = std::function<Response(const Request&)>;

class Server {
 public:
  Server(ServerOptions options, RequestHandler handler);
  ~Server();
  // Binds and starts the worker threads; returns the bound port.
  Result<uint16_t> Start();
  // Blocks until SIGINT/SIGTERM (when `handle_signals`) or Stop(), then drains and returns.
  void Wait(bool handle_signals = true);
  // Asks the server to drain and stop; safe from any thread.
  void Stop();
  uint16_t port() const { return port_; }
  // Requests whose handler has been called and whose reply is not written yet (Stop waits for them).
  int in_flight() const;

  struct Impl;  // defined in server.cc

 private:
  std::unique_ptr<Impl> impl_;
  ServerOptions options_;
  RequestHandler handler_;
  uint16_t port_ = 0;
};

}  // namespace keel::http
