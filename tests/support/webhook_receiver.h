// A local webhook receiver for tests: a blocking HTTP/1.1 server on 127.0.0.1 and an ephemeral
// port, on its own thread, answering from a script and recording what it received.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace keel::testing {

namespace rx_net = boost::asio;
namespace rx_http = boost::beast::http;
using rx_tcp = boost::asio::ip::tcp;

struct Reply {
  int status;
  std::string body;
  std::string location = {};  // sent as a Location header when set (redirects)
};

struct Received {
  std::string target, content_type, body;
  std::string authorization = {};
};

// A blocking HTTP/1.1 server on 127.0.0.1 and an ephemeral port, on its own thread. It answers
// the i-th request with script[i] (the last entry repeats) and records what it got.
class Receiver {
 public:
  explicit Receiver(std::vector<Reply> script)
      : script_(std::move(script)), acceptor_(ioc_, {rx_net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Receiver() {
    stop_ = true;
    boost::system::error_code ec;
    rx_tcp::socket wake(ioc_);
    wake.connect({rx_net::ip::make_address("127.0.0.1"), port()}, ec);  // unblocks accept()
    thread_.join();
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string Url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port()) + target;
  }
  std::vector<Received> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Run() {
    while (!stop_) {
      rx_tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      Serve(socket);
    }
  }

  void Serve(rx_tcp::socket& socket) {
    boost::beast::flat_buffer buffer;
    for (;;) {
      boost::system::error_code ec;
      rx_http::request<rx_http::string_body> req;
      rx_http::read(socket, buffer, req, ec);
      if (ec) return;
      Reply reply;
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_.push_back({std::string(req.target()), std::string(req[rx_http::field::content_type]), req.body(),
                             std::string(req[rx_http::field::authorization])});
        reply = script_[std::min(received_.size(), script_.size()) - 1];
      }
      rx_http::response<rx_http::string_body> res{static_cast<rx_http::status>(reply.status), req.version()};
      res.set(rx_http::field::content_type, "application/json");
      if (!reply.location.empty()) res.set(rx_http::field::location, reply.location);
      res.body() = reply.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      rx_http::write(socket, res, ec);
      if (ec || !res.keep_alive()) return;
    }
  }

  const std::vector<Reply> script_;
  rx_net::io_context ioc_;
  rx_tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Received> received_;
};

// A dead endpoint: accepts connections on 127.0.0.1 and never answers, holding them open
// until it is destroyed (then they are closed, and a client still waiting sees the connection
// end at once). Counts the connections it accepted.
class HangingReceiver {
 public:
  HangingReceiver() : acceptor_(ioc_, {rx_net::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { Run(); });
  }
  ~HangingReceiver() {
    stop_ = true;
    boost::system::error_code ec;
    rx_tcp::socket wake(ioc_);
    wake.connect({rx_net::ip::make_address("127.0.0.1"), port()}, ec);  // unblocks accept()
    thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& s : sockets_) s->close(ec);
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  std::string Url(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(port()) + target;
  }
  int accepted() const { return accepted_; }

 private:
  void Run() {
    while (!stop_) {
      auto socket = std::make_unique<rx_tcp::socket>(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(*socket, ec);
      if (ec || stop_) return;
      std::lock_guard<std::mutex> lock(mu_);
      sockets_.push_back(std::move(socket));
      ++accepted_;
    }
  }

  rx_net::io_context ioc_;
  rx_tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<std::unique_ptr<rx_tcp::socket>> sockets_;
};

}  // namespace keel::testing
