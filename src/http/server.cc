#include "http/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>
#include <vector>

#include "common/crypto.h"
#include "http/api.h"

namespace keel::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;

struct Server::Impl {
  net::io_context ioc;
  std::unique_ptr<net::thread_pool> workers;  // handlers run here, never on the I/O threads
  std::thread stopper;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopped{false};
  net::executor_work_guard<net::io_context::executor_type> guard{ioc.get_executor()};
};

namespace {

Response SimpleError(int status, const char* code, const char* en, const char* zh) {
  Status st = Status::Error(status == 413 ? ErrorKind::kPayloadTooLarge : ErrorKind::kInvalid, code,
                            en, zh);
  Response r = ErrorResponse(st, RandomToken(8));
  r.status = status;
  return r;
}

template <class Stream>
net::awaitable<void> WriteResponse(Stream& stream, const Response& res, unsigned version,
                                   bool keep_alive, boost::system::error_code& ec) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  out.set(bhttp::field::server, "keel");
  out.set(bhttp::field::content_type, res.content_type);
  out.set(bhttp::field::cache_control, "no-store");
  out.set("X-Content-Type-Options", "nosniff");
  for (const auto& [k, v] : res.headers) out.set(k, v);
  out.body() = res.body;
  out.keep_alive(keep_alive);
  out.prepare_payload();
  co_await bhttp::async_write(stream, out, net::redirect_error(net::use_awaitable, ec));
}

// Writes an event stream until the client goes away, the stream closes or the server drains:
// frames as they are pushed (a push wakes the timer through the session's strand) and a
// heartbeat comment every 15 s.
net::awaitable<void> ServeEvents(beast::tcp_stream& stream, Response& res, Server::Impl* impl) {
  auto exec = co_await net::this_coro::executor;
  boost::system::error_code ec;
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-cache\r\n"
                     "Connection: close\r\nX-Accel-Buffering: no\r\n";
  for (const auto& [k, v] : res.headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  stream.expires_never();
  co_await net::async_write(stream.socket(), net::buffer(head), net::redirect_error(net::use_awaitable, ec));
  auto timer = std::make_shared<net::steady_timer>(exec);
  std::weak_ptr<net::steady_timer> weak = timer;
  res.stream->SetWaker([exec, weak] {
    net::post(exec, [weak] {
      if (auto t = weak.lock()) t->cancel();
    });
  });
  std::vector<std::string> frames;
  while (!ec && !impl->draining.load()) {
    if (!res.stream->Take(frames)) break;
    if (!frames.empty()) {
      std::string out;
      for (auto& f : frames) out += f;
      frames.clear();
      co_await net::async_write(stream.socket(), net::buffer(out), net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    timer->expires_after(std::chrono::seconds(15));
    boost::system::error_code tec;
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, tec));
    if (!tec) {
      static const std::string kPing = ": ping\n\n";
      co_await net::async_write(stream.socket(), net::buffer(kPing), net::redirect_error(net::use_awaitable, ec));
    }
  }
  res.stream->SetWaker(nullptr);
  res.stream->Close();
  if (res.stream->on_close) res.stream->on_close();
}

net::awaitable<void> Session(tcp::socket socket, Server::Impl* impl, const ServerOptions* options,
                             const RequestHandler* handler) {
  boost::system::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  std::string ip;
  auto ep = socket.remote_endpoint(ec);
  if (!ec) ip = ep.address().to_string();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(options->body_limit);
    parser.header_limit(32 * 1024);
    stream.expires_after(std::chrono::milliseconds(options->request_timeout_ms));
    // The header first: a client that sent `Expect: 100-continue` (curl does for larger bodies)
    // waits for an interim answer before it sends the body — a second, if nobody answers.
    co_await bhttp::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (!ec && !parser.is_done() && beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, parser.get().version()};
      co_await bhttp::async_write(stream, cont, net::redirect_error(net::use_awaitable, ec));
    }
    if (!ec && !parser.is_done()) {
      co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::operation_aborted ||
        ec == beast::error::timeout || ec == net::error::connection_reset || ec == net::error::eof) {
      break;
    }
    if (ec == bhttp::error::body_limit) {
      boost::system::error_code wec;
      co_await WriteResponse(stream, SimpleError(413, "http.payload_too_large",
                                                 "the request body is larger than the limit",
                                                 "请求体超过大小限制"), 11, false, wec);
      // Let the client finish sending (discarding it, for at most a second) so that it reads
      // the 413 instead of a connection reset.
      stream.socket().shutdown(tcp::socket::shutdown_send, wec);
      stream.expires_after(std::chrono::seconds(1));
      std::vector<char> sink(64 * 1024);
      for (;;) {
        co_await stream.async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, wec));
        if (wec) break;
      }
      break;
    }
    if (ec) {
      boost::system::error_code wec;
      co_await WriteResponse(stream, SimpleError(400, "http.bad_request",
                                                 "malformed HTTP request", "HTTP 请求格式错误"),
                             11, false, wec);
      break;
    }
    impl->in_flight.fetch_add(1);
    auto& req = parser.get();
    Request r;
    r.method = std::string(req.method_string());
    std::string target(req.target());
    auto qpos = target.find('?');
    bool bad_target = !PercentDecode(target.substr(0, qpos), &r.path) ||
                      (qpos != std::string::npos && !ParseQuery(target.substr(qpos + 1), &r.query));
    r.body = std::move(req.body());
    r.content_type = std::string(req[bhttp::field::content_type]);
    r.authorization = std::string(req[bhttp::field::authorization]);
    r.last_event_id = std::string(req["Last-Event-ID"]);
    r.idempotency_key = std::string(req["Idempotency-Key"]);
    std::string rid(req["X-Request-Id"]);
    bool rid_ok = !rid.empty() && rid.size() <= 64 &&
                  std::all_of(rid.begin(), rid.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                  });
    r.request_id = rid_ok ? rid : RandomToken(12);
    // Every X-Forwarded-For line, joined in order (RFC 9110 §5.3): a proxy such as HAProxy adds
    // its own line after the client's, and ClientAddress trusts only the hops from the right.
    std::string forwarded;
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
      if (!forwarded.empty()) forwarded += ", ";
      forwarded += std::string(it->value());
    }
    r.remote_ip = keel::net::ClientAddress(ip, forwarded, options->trusted_proxies);
    Response res;
    if (bad_target) {
      res = SimpleError(400, "http.bad_target", "malformed URL escape", "URL 转义格式错误");
    } else {
      // Database work and password hashing block; run them on the worker pool so that the
      // I/O threads keep serving other connections, then resume here.
      res = co_await net::co_spawn(
          impl->workers->get_executor(),
          [handler, &r]() -> net::awaitable<Response> { co_return (*handler)(r); },
          net::use_awaitable);
    }
    if (res.stream) {
      impl->in_flight.fetch_sub(1);
      co_await ServeEvents(stream, res, impl);
      break;
    }
    bool keep_alive = req.keep_alive() && !impl->draining.load();
    stream.expires_after(std::chrono::milliseconds(options->request_timeout_ms));
    co_await WriteResponse(stream, res, req.version(), keep_alive, ec);
    impl->in_flight.fetch_sub(1);
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

net::awaitable<void> Listen(tcp::acceptor& acceptor, Server::Impl* impl,
                            const ServerOptions* options, const RequestHandler* handler) {
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      // e.g. EMFILE: keep serving the connections we have and retry a little later.
      net::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
      continue;
    }
    // Each connection on its own strand: a live stream's producers wake it through the strand.
    auto strand = net::make_strand(acceptor.get_executor());
    net::co_spawn(strand, Session(std::move(socket), impl, options, handler), net::detached);
  }
}

}  // namespace

int Server::in_flight() const { return impl_ ? impl_->in_flight.load() : 0; }

Server::Server(ServerOptions options, RequestHandler handler)
    : impl_(std::make_unique<Impl>()), options_(std::move(options)), handler_(std::move(handler)) {}

Server::~Server() {
  Stop();
  if (impl_->stopper.joinable()) impl_->stopper.join();
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  if (impl_->workers) impl_->workers->join();
}

Result<uint16_t> Server::Start() {
  boost::system::error_code ec;
  auto address = net::ip::make_address(options_.host, ec);
  if (ec) {
    return Status::Invalid("config.host", "invalid listen address '" + options_.host + "'",
                           "监听地址无效 '" + options_.host + "'");
  }
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->ioc);
  tcp::endpoint ep(address, options_.port);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Error(ErrorKind::kUnavailable, "server.bind",
                         "cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                             ": " + ec.message(),
                         "无法监听 " + options_.host + ":" + std::to_string(options_.port) + "：" +
                             ec.message());
  }
  port_ = acceptor->local_endpoint().port();
  impl_->workers = std::make_unique<net::thread_pool>(std::max(1, options_.workers));
  impl_->acceptor = std::move(acceptor);
  net::co_spawn(impl_->ioc, Listen(*impl_->acceptor, impl_.get(), &options_, &handler_),
                net::detached);
  int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return port_;
}

void Server::Stop() {
  if (impl_->draining.exchange(true)) return;
  net::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    if (impl_->acceptor) impl_->acceptor->close(ec);
  });
  // Let in-flight requests finish, then stop the loop.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
  // Joined by the destructor, so it never outlives the state it touches.
  impl_->stopper = std::thread([impl = impl_.get(), deadline] {
    while (impl->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    impl->guard.reset();
    impl->ioc.stop();
    impl->stopped.store(true);
  });
}

void Server::Wait(bool handle_signals) {
  if (handle_signals) {
    net::signal_set signals(impl_->ioc, SIGINT, SIGTERM);
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      spdlog::info("signal {} received: draining in-flight requests and stopping", sig);
      Stop();
    });
    for (auto& t : impl_->threads) {
      if (t.joinable()) t.join();
    }
    return;
  }
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
}

}  // namespace keel::http
