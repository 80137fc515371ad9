// The web front end's static files (web/dist, built by Vite): read into memory once at start
// and served on the API's port for GET requests outside /api/. A path without a file extension
// that names no file gets index.html, so the browser app's own router answers deep links.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "http/router.h"

namespace keel::http {

class StaticFiles {
 public:
  StaticFiles() = default;
  // Reads every file under `root` (which must contain index.html).
  static Result<StaticFiles> Load(const std::string& root);
  // Where the built front end is when no --web-root is given: web/dist under the working
  // directory, else next to the binary's build directory (<exe>/../web/dist); empty if neither.
  static std::string FindDefaultRoot();

  // The response for a static request; nullopt when the request is for the API (or not a GET).
  std::optional<Response> Serve(const Request& req) const;
  size_t files() const { return files_.size(); }
  size_t bytes() const { return bytes_; }
  bool loaded() const { return !files_.empty(); }

 private:
  struct File {
    std::string content_type;
    std::string body;
  };
  std::map<std::string, File> files_;  // "/index.html" → file
  size_t bytes_ = 0;
};

}  // namespace keel::http
