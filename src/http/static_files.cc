#include "http/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace keel::http {
namespace fs = std::filesystem;

namespace {

std::string ContentType(const std::string& ext) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},       {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},  {".css", "text/css; charset=utf-8"},
      {".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
      {".png", "image/png"},                        {".jpg", "image/jpeg"},
      {".ico", "image/x-icon"},                     {".woff", "font/woff"},
      {".woff2", "font/woff2"},                     {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},        {".webmanifest", "application/manifest+json"},
      {".map", "application/json; charset=utf-8"}};
  auto it = kTypes.find(ext);
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

// The front end talks only to its own origin; styles may be inline (component libraries set
// style attributes), scripts may not.
constexpr const char* kCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

}  // namespace

Result<StaticFiles> StaticFiles::Load(const std::string& root) {
  std::error_code ec;
  if (!fs::is_regular_file(fs::path(root) / "index.html", ec)) {
    return Status::Error(ErrorKind::kNotFound, "web.not_built",
                         "no index.html under " + root + " (build the front end: make build)",
                         root + " 下没有 index.html（请先构建前端：make build）");
  }
  StaticFiles out;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    std::string rel = "/" + fs::relative(it->path(), root).generic_string();
    out.bytes_ += body.str().size();
    out.files_[rel] = File{ContentType(it->path().extension().string()), body.str()};
  }
  if (ec) return Status::Error(ErrorKind::kInternal, "web.read", "cannot read " + root + ": " + ec.message(),
                               "无法读取 " + root + "：" + ec.message());
  return out;
}

std::string StaticFiles::FindDefaultRoot() {
  std::error_code ec;
  if (fs::is_regular_file("web/dist/index.html", ec)) return fs::absolute("web/dist", ec).string();
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n > 0) {
    fs::path exe(std::string(buf, static_cast<size_t>(n)));
    fs::path dist = exe.parent_path().parent_path() / "web" / "dist";
    if (fs::is_regular_file(dist / "index.html", ec)) return dist.string();
  }
  return "";
}

std::optional<Response> StaticFiles::Serve(const Request& req) const {
  if (req.method != "GET" || req.path.rfind("/api/", 0) == 0 || req.path == "/api") return std::nullopt;
  if (files_.empty()) {
    Response res;
    res.status = 404;
    res.content_type = "text/html; charset=utf-8";
    res.body =
        "<!doctype html><meta charset=utf-8><title>Keel</title><p>The web front end is not built "
        "(<code>make build</code>); the API is at <a href=/api/v1/openapi.json>/api/v1</a>.</p>"
        "<p>前端尚未构建（<code>make build</code>）；接口见 <a href=/api/v1/openapi.json>/api/v1</a>。</p>";
    return res;
  }
  std::string path = req.path.empty() || req.path == "/" ? "/index.html" : req.path;
  auto it = files_.find(path);
  bool fallback = false;
  if (it == files_.end()) {
    // A deep link into the app (/leads/42) gets the app; a missing asset (/assets/x.js) is 404.
    auto slash = path.rfind('/');
    if (path.find('.', slash) != std::string::npos || path.find("..") != std::string::npos) {
      Response res;
      res.status = 404;
      res.content_type = "text/plain; charset=utf-8";
      res.body = "not found / 未找到\n";
      return res;
    }
    it = files_.find("/index.html");
    fallback = true;
  }
  Response res;
  res.content_type = it->second.content_type;
  res.body = it->second.body;
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (path.rfind("/assets/", 0) == 0 && !fallback) {
    // Vite names assets by content hash: they never change under one name.
    res.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    res.headers.emplace_back("Cache-Control", "no-cache");
  }
  if (it->first == "/index.html") {
    res.headers.emplace_back("Content-Security-Policy", kCsp);
    res.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  return res;
}

}  // namespace keel::http
