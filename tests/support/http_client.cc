#include "support/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace keel::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

nlohmann::json HttpReply::json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

std::string HttpReply::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

struct HttpClient::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  int port;
  bool connected = false;
  void Connect() {
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
    connected = true;
  }
};

HttpClient::HttpClient(int port) : impl_(std::make_unique<Impl>()) { impl_->port = port; }
HttpClient::~HttpClient() {
  beast::error_code ec;
  impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

HttpReply HttpClient::Send(const std::string& method, const std::string& target,
                           const std::string& body, const std::string& token,
                           const std::string& content_type,
                           const std::vector<std::pair<std::string, std::string>>& headers) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      if (!impl_->connected) impl_->Connect();
      bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), target, 11};
      req.set(bhttp::field::host, "127.0.0.1");
      if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
      if (!body.empty()) {
        req.set(bhttp::field::content_type, content_type);
        req.body() = body;
      }
      for (const auto& [k, v] : headers) req.erase(k);  // a header given twice goes out as two lines
      for (const auto& [k, v] : headers) req.insert(k, v);
      req.keep_alive(true);
      req.prepare_payload();
      beast::error_code write_ec;
      bhttp::write(impl_->stream, req, write_ec);  // on error the server may still have replied
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(256 * 1024 * 1024);
      bhttp::read(impl_->stream, impl_->buffer, parser);
      auto& res = parser.get();
      HttpReply out;
      out.status = res.result_int();
      out.body = res.body();
      for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      if (!res.keep_alive()) {
        beast::error_code ec;
        impl_->stream.socket().close(ec);
        impl_->connected = false;
        impl_->buffer.clear();
      }
      return out;
    } catch (const std::exception&) {
      beast::error_code ec;
      impl_->stream.socket().close(ec);
      impl_->connected = false;
      impl_->buffer.clear();
      if (attempt == 1) throw;
    }
  }
  return {};
}

}  // namespace keel::testing
