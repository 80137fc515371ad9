#include "http/router.h"

#include <algorithm>
#include <cctype>

namespace keel::http {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// A decoded path segment as it may appear in a URL (and a header): unreserved bytes as they are,
// every other byte percent-encoded.
std::string EncodeSegment(const std::string& in) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kDigits[c >> 4], kDigits[c & 15]};
    }
  }
  return out;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, RouteDoc doc) {
  Route r;
  r.method = std::move(method);
  r.segments = Split(pattern);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  r.doc = std::move(doc);
  routes_.push_back(std::move(r));
}

size_t Router::AddDeprecatedAlias(const std::string& old_prefix, const std::string& canonical_prefix) {
  const std::vector<std::string> from = Split(canonical_prefix);
  const std::vector<std::string> to = Split(old_prefix);
  if (from.size() != to.size()) return 0;
  std::vector<Route> aliases;
  for (const Route& r : routes_) {
    if (r.deprecated() || !r.doc.aliased || r.segments.size() < from.size() ||
        !std::equal(from.begin(), from.end(), r.segments.begin())) {
      continue;
    }
    Route alias = r;
    std::copy(to.begin(), to.end(), alias.segments.begin());
    alias.pattern = old_prefix + r.pattern.substr(canonical_prefix.size());
    alias.successor = r.pattern;
    aliases.push_back(std::move(alias));
  }
  for (Route& a : aliases) routes_.push_back(std::move(a));
  return aliases.size();
}

bool Router::SetPaging(const std::string& method, const std::string& pattern, Paging paging) {
  for (Route& r : routes_) {
    if (r.method == method && r.pattern == pattern) {
      r.doc.paging = paging;
      return true;
    }
  }
  return false;
}

std::string SuccessorPath(const Route& route, const std::string& path) {
  if (!route.deprecated()) return path;
  const std::vector<std::string> want = Split(route.successor);
  std::vector<std::string> got = Split(path);
  if (want.size() != got.size()) return route.successor;
  std::string out;
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string& s = want[i];
    bool param = s.size() > 2 && s.front() == '{' && s.back() == '}';
    out += "/" + (param ? EncodeSegment(got[i]) : s);
  }
  return out;
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  Match m;
  if (path.empty() || path[0] != '/') return m;
  std::vector<std::string> segs = Split(path);
  for (const Route& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < segs.size() && ok; ++i) {
      const std::string& s = r.segments[i];
      if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
        if (segs[i].empty()) ok = false;
        else params[s.substr(1, s.size() - 2)] = segs[i];
      } else if (s != segs[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    if (r.method != method) {
      m.path_known = true;
      if (!m.same_path) m.same_path = &r;
      continue;
    }
    m.route = &r;
    m.params = std::move(params);
    return m;
  }
  return m;
}

bool PercentDecode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = Hex(in[i + 1]), lo = Hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+') {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseQuery(const std::string& text, QueryParams* out) {
  out->clear();
  size_t start = 0;
  while (start < text.size()) {
    size_t amp = text.find('&', start);
    if (amp == std::string::npos) amp = text.size();
    std::string part = text.substr(start, amp - start);
    start = amp + 1;
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string k, v;
    if (!PercentDecode(part.substr(0, eq), &k)) return false;
    if (eq != std::string::npos && !PercentDecode(part.substr(eq + 1), &v)) return false;
    out->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

bool EventStream::Push(std::string frame) {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    if (closed_) return false;
    if (pending_.size() >= kMaxPending || pending_bytes_ + frame.size() > kMaxPendingBytes) {
      closed_ = true;  // a reader this slow reconnects and resumes with Last-Event-ID
      pending_.clear();
      pending_bytes_ = 0;
    } else {
      pending_bytes_ += frame.size();
      pending_.push_back(std::move(frame));
    }
    wake = waker_;
  }
  if (wake) wake();
  return true;
}

void EventStream::Close() {
  std::function<void()> wake;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    wake = waker_;
  }
  if (wake) wake();
}

bool EventStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

bool EventStream::Take(std::vector<std::string>& out) {
  std::lock_guard lock(mu_);
  out.swap(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  return !(closed_ && out.empty());
}

void EventStream::SetWaker(std::function<void()> waker) {
  std::lock_guard lock(mu_);
  waker_ = std::move(waker);
}

}  // namespace keel::http
