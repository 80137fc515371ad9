// Routing (路由): every route of /api/v1 is declared once with its documentation, which the
// OpenAPI document is built from. Requests and responses here are plain structs, so handlers
// and tests never touch Beast.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "domain/model.h"

namespace keel::http {

using json = nlohmann::json;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;        // "GET", "POST", ...
  std::string path;          // decoded path without the query string
  QueryParams query;
  std::string body;
  std::string content_type;
  std::string authorization;
  std::string request_id;
  std::string remote_ip;
  std::string last_event_id;
  std::string idempotency_key;
};

// A server-sent event stream (text/event-stream) a handler may answer with: producers Push
// frames from any thread; the server writes them as they come and a heartbeat comment when
// idle, on the connection's own coroutine (no thread per stream). At most `kMaxPending`
// frames wait; beyond that the stream closes, and the client resumes with Last-Event-ID.
class EventStream {
 public:
  // A reader that falls this far behind (frames or bytes waiting) is cut off: it reconnects and
  // resumes with Last-Event-ID, and a slow client cannot hold the server's memory.
  static constexpr size_t kMaxPending = 1000;
  static constexpr size_t kMaxPendingBytes = 1 << 20;
  // One SSE frame: "id: …\nevent: …\ndata: …\n\n". Returns false once closed.
  bool Push(std::string frame);
  void Close();
  bool closed() const;
  // Server side: takes the waiting frames; false when closed and nothing is left.
  bool Take(std::vector<std::string>& out);
  // Server side: called (from any thread) after a Push, to wake the writer.
  void SetWaker(std::function<void()> waker);
  // Called once by the server when the connection ends (unsubscribe here).
  std::function<void()> on_close;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> pending_;
  size_t pending_bytes_ = 0;
  bool closed_ = false;
  std::function<void()> waker_;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<EventStream> stream;  // set: answer with a live event stream instead of `body`
};

// What a handler receives: the request, the authenticated caller (if the route needs one),
// the parsed JSON body (POST/PATCH) and the path parameters.
struct Call {
  const Request& req;
  std::optional<domain::Principal> principal;
  json body;
  std::map<std::string, int64_t> ids;  // {id} path parameters, validated positive integers
  std::map<std::string, std::string> names;  // {name} path parameters: [A-Za-z0-9_.-]{1,63};
                                             // {token}: [A-Za-z0-9_-]{1,100}, never logged
  const domain::Principal& p() const { return *principal; }
  int64_t id() const { return ids.at("id"); }
  const std::string& name() const { return names.at("name"); }
};

struct Reply {
  int status = 200;
  json body;
  std::shared_ptr<EventStream> stream;  // set: a live event stream (body unused)
  // Set: answer with these bytes of this media type instead of `body` (a stored file), with
  // `headers` added.
  std::string raw_content_type;
  std::string raw;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Result<Reply>(Call&)>;

// A service result as a reply: the value with `status`, or the error.
inline Result<Reply> Wrap(Result<json> r, int status = 200) {
  if (!r.ok()) return r.status();
  return Reply{status, std::move(r).value()};
}

// The first value of query parameter `name`; "" when absent.
inline std::string Query(const Call& c, const std::string& name) {
  for (const auto& [k, v] : c.req.query) {
    if (k == name) return v;
  }
  return "";
}

// How a collection route pages (docs/api.md, "Lists"): `limit` (1-500; default 50, or 500 for a
// bounded set) and `after` in, `next_after` out only when there is more.
struct Paging {
  enum class Kind {
    kNone,      // not a collection, or a fixed set the document says is not paged
    kInMemory,  // the handler answers the whole (bounded) set; the API pages its `items`
    kService,   // the service pages in SQL (entity lists, the event log, ledger entries)
  };
  Kind kind = Kind::kNone;
  // kInMemory: the field that names an item (unique in the list); a page starts after the item
  // whose field equals `after`, in the order the service answers.
  std::string key = "id";
};
inline constexpr int kDefaultPageLimit = 50;   // SQL-paged lists
inline constexpr int kDefaultSetLimit = 500;   // bounded sets: the whole set in one page unless asked
inline constexpr int kMaxPageLimit = 500;
inline constexpr int kExportMaxRows = 100000;  // rows in one export file (GET /<collection>/export)

struct RouteDoc {
  std::string summary_en, summary_zh, tag;
  json request_schema;    // null when the route takes no body
  json response_schema;   // schema of a success body
  std::vector<std::pair<std::string, std::string>> query;  // name → description
  int success_status = 200;
  bool auth = true;
  bool raw_body = false;  // the handler reads req.body itself (NDJSON, CSV)
  // Set: a text/markdown or text/plain body is accepted too, as this field of a JSON object whose
  // other fields come from the query string (a document uploaded as it is).
  std::string text_field;
  // Non-zero: a larger body is refused with 413 before it is parsed (public routes).
  size_t max_body = 0;
  // A definition upload (metric, alert rule, workflow): an authenticated caller may send it as
  // application/yaml too. Every other route takes JSON only, so no public route parses YAML.
  bool yaml = false;
  // With raw_body: the media types the handler takes ("text/csv", "application/x-ndjson", "*/*"
  // for a file); `request_schema` describes the body under each. JSON routes need none: the
  // document lists application/json (and application/yaml, text/markdown as the flags above say).
  std::vector<std::string> content_types;
  // The success body's media type when it is not JSON ("text/event-stream", "*/*" for a file).
  std::string response_type;
  // Success statuses besides success_status, with what they mean (a batch's 207).
  std::vector<std::pair<int, std::string>> also;
  // The stable operationId (docs/api.md); empty: derived from the method and path (OperationId).
  std::string operation_id;
  Paging paging;
  // False: the route came after its collection's old spelling was deprecated, so it has no
  // deprecated alias (a collection's aggregate and export).
  bool aliased = true;
};

// `doc` of a bounded collection the API pages, its items named by `key`.
inline RouteDoc Paged(RouteDoc doc, std::string key = "id") {
  doc.paging = {Paging::Kind::kInMemory, std::move(key)};
  return doc;
}

// `doc`, accepting YAML bodies (definitions only).
inline RouteDoc Yaml(RouteDoc doc) {
  doc.yaml = true;
  return doc;
}

// `doc`, whose success body is `media_type` rather than JSON.
inline RouteDoc Responds(RouteDoc doc, std::string media_type) {
  doc.response_type = std::move(media_type);
  return doc;
}

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/customers/{id}"
  std::vector<std::string> segments;
  Handler handler;
  RouteDoc doc;
  // Set on a deprecated spelling (an alias made by Router::AddDeprecatedAlias): the pattern of the
  // canonical route it answers for. Such a reply carries `Deprecation` and a successor-version
  // `Link`; the OpenAPI document marks the operation deprecated.
  std::string successor;
  bool deprecated() const { return !successor.empty(); }
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler, RouteDoc doc);
  // An old spelling that keeps answering after a rename: every route added so far whose pattern
  // is `canonical_prefix` or lies below it (whole segments, e.g. "/api/v1/budget-transfers")
  // gets a twin under `old_prefix` ("/api/v1/budget_transfers") with the same handler and doc,
  // marked deprecated. Both prefixes must have the same number of segments and no parameters.
  // Call once the canonical routes are added; returns how many routes were aliased.
  size_t AddDeprecatedAlias(const std::string& old_prefix, const std::string& canonical_prefix);
  // Sets how the route `method pattern` pages; false when there is no such route.
  bool SetPaging(const std::string& method, const std::string& pattern, Paging paging);
  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    bool path_known = false;  // true when the path matched but not the method (405)
    const Route* same_path = nullptr;  // then: the first route of that path (another method)
  };
  Match Find(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// The path a request that matched the deprecated `route` should use instead: `path` with the
// literal segments of route.successor ("/api/v1/budget_transfers/7" → "/api/v1/budget-transfers/7").
std::string SuccessorPath(const Route& route, const std::string& path);

// Splits "a=1&b=%E4%B8%AD" into decoded pairs; false on a malformed escape.
bool ParseQuery(const std::string& text, QueryParams* out);
bool PercentDecode(const std::string& in, std::string* out);

}  // namespace keel::http
