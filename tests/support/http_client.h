// A small blocking HTTP/1.1 client for integration tests (Boost.Beast), keep-alive.
#pragma once

#include <memory>
#include <string>
#include <vector>
#include <utility>

#include <nlohmann/json.hpp>

namespace keel::testing {

struct HttpReply {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  nlohmann::json json() const;
  std::string header(const std::string& name) const;
};

class HttpClient {
 public:
  explicit HttpClient(int port);
  ~HttpClient();
  HttpReply Send(const std::string& method, const std::string& target, const std::string& body = {},
                 const std::string& token = {}, const std::string& content_type = "application/json",
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpReply Get(const std::string& target, const std::string& token = {}) {
    return Send("GET", target, {}, token);
  }
  HttpReply Post(const std::string& target, const nlohmann::json& body, const std::string& token = {}) {
    return Send("POST", target, body.dump(), token);
  }
  HttpReply Patch(const std::string& target, const nlohmann::json& body, const std::string& token = {}) {
    return Send("PATCH", target, body.dump(), token);
  }
  HttpReply Delete(const std::string& target, const std::string& token = {}) {
    return Send("DELETE", target, {}, token);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::testing
