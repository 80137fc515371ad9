// A live stream read over a real connection, for tests: the raw bytes arrive on a background
// thread; Wait() polls what arrived so far (bounded), ValuesIn() reads the metric frames.
#pragma once

#include <boost/asio.hpp>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::testing {

// Reads a streaming response on a background thread; Wait() polls what arrived so far.
class StreamReader {
 public:
  StreamReader(int port, const std::string& target, const std::string& token, const std::string& last_event_id = {})
      : socket_(io_) {
    socket_.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n";
    if (!last_event_id.empty()) req += "Last-Event-ID: " + last_event_id + "\r\n";
    req += "\r\n";
    boost::asio::write(socket_, boost::asio::buffer(req));
    reader_ = std::thread([this] {
      char buf[4096];
      boost::system::error_code ec;
      for (;;) {
        size_t n = socket_.read_some(boost::asio::buffer(buf), ec);
        if (ec) break;
        std::lock_guard lock(mu_);
        data_.append(buf, n);
      }
    });
  }
  ~StreamReader() {
    boost::system::error_code ec;
    socket_.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    reader_.join();
  }
  // Waits up to 10 s for `pred(data)`.
  bool Wait(const std::function<bool(const std::string&)>& pred) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(mu_);
        if (pred(data_)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  std::string data() {
    std::lock_guard lock(mu_);
    return data_;
  }
  std::vector<double> Values(const std::string& metric) { return ValuesIn(data(), metric); }
  // The values of `metric` in every `metrics` frame of `d`.
  static std::vector<double> ValuesIn(const std::string& d, const std::string& metric) {
    std::vector<double> out;
    size_t pos = 0;
    while ((pos = d.find("event: metrics\ndata: ", pos)) != std::string::npos) {
      pos += 21;
      size_t end = d.find('\n', pos);
      if (end == std::string::npos) break;
      nlohmann::json j = nlohmann::json::parse(d.substr(pos, end - pos), nullptr, false);
      if (!j.is_discarded()) out.push_back(j["groups"][0]["values"][metric]["value"].get<double>());
    }
    return out;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::thread reader_;
  std::mutex mu_;
  std::string data_;
};

}  // namespace keel::testing
