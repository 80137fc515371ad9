#include "http/streams.h"

#include <condition_variable>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "alerts/engine.h"
#include "alerts/json.h"
#include "domain/unit_tree.h"
#include "events/event_log.h"
#include "metrics/engine.h"
#include "metrics/query_json.h"
#include "store/database.h"
#include "store/tenant_scope.h"

namespace keel::http {

Result<metrics::MetricQuery> ParseMetricQuery(const QueryParams& params, const TimeZone& tz, TimeMs now);

namespace {

// The alert events a stream shows: an alert fired, changed severity or resolved (not an
// acknowledgement, whose payload is a comment).
bool IsAlertChange(const std::string& type) {
  return type == "alert.fired" || type == "alert.changed" || type == "alert.resolved";
}

std::string Frame(int64_t id, const char* event, const json& data) {
  std::string out;
  if (id > 0) out += "id: " + std::to_string(id) + "\n";
  out += "event: ";
  out += event;
  out += "\ndata: ";
  out += data.dump(-1, ' ', false, json::error_handler_t::replace);
  out += "\n\n";
  return out;
}

struct Sub {
  int64_t id = 0;
  domain::Principal p;
  std::string token;   // the credential the stream was opened with, checked again and again
  QueryParams params;  // re-parsed per update: named ranges move with the clock
  bool metrics = false, alerts = false;
  std::set<std::string> names;
  std::weak_ptr<EventStream> stream;
  TimeMs last_sent = 0;
  bool dirty = false;
};

}  // namespace

struct StreamHub::Impl {
  store::Database& db;
  metrics::MetricEngine& metrics;
  alerts::AlertEngine* alerts;
  const Clock& clock;
  StreamOptions opt;

  mutable std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::map<int64_t, std::shared_ptr<Sub>> subs;
  std::map<int64_t, int64_t> seq;  // tenant → last applied sequence seen
  int64_t next_id = 1;
  bool stop = false;
  bool revalidate = false;
  TimeMs last_revalidated = 0;
  Authenticator authenticate;
  int listener = 0;
  int alert_listener = 0;  // the metric engine's event listener for alert.* events
  std::thread worker;

  Impl(store::Database& d, metrics::MetricEngine& m, alerts::AlertEngine* a, const Clock& c, StreamOptions o)
      : db(d), metrics(m), alerts(a), clock(c), opt(o) {}

  // The metric frame of one subscription, or nullopt when it cannot be computed.
  std::optional<std::string> Snapshot(Sub& s, int64_t id) {
    auto tz = metrics.ZoneOf(s.p.tenant_id);
    if (!tz.ok()) return std::nullopt;
    auto q = ParseMetricQuery(s.params, **tz, clock.NowMs());
    if (!q.ok()) return std::nullopt;
    auto r = metrics.Query(s.p, *q);
    if (!r.ok()) return Frame(id, "error", {{"code", r.status().code()}, {"message", r.status().message_en()},
                                            {"message_zh", r.status().message_zh()}});
    return Frame(id, "metrics", metrics::ToJson(*r));
  }

  // The caps: on this server (503), per tenant and per person (429). Needs `mu`.
  Status CapsLocked(const domain::Principal& p) {
    for (auto it = subs.begin(); it != subs.end();) {  // closed streams do not count
      if (it->second->stream.expired()) it = subs.erase(it);
      else ++it;
    }
    if (subs.size() >= opt.max_streams) {
      return Status::Error(ErrorKind::kUnavailable, "stream.too_many", "too many live streams on this server", "本服务器的实时连接过多");
    }
    size_t tenant = 0, user = 0;
    for (const auto& [id, s] : subs) {
      if (s->p.tenant_id != p.tenant_id) continue;
      ++tenant;
      if (s->p.user_id == p.user_id) ++user;
    }
    if (user >= opt.max_per_user) {
      return Status::Error(ErrorKind::kTooManyRequests, "stream.too_many",
                           "you have " + std::to_string(user) + " live streams open already (at most " + std::to_string(opt.max_per_user) +
                               "); close a tab or device",
                           "您已打开 " + std::to_string(user) + " 个实时连接（上限 " + std::to_string(opt.max_per_user) + "），请先关闭一些页面或设备");
    }
    if (tenant >= opt.max_per_tenant) {
      return Status::Error(ErrorKind::kTooManyRequests, "stream.too_many", "your company has too many live streams open",
                           "贵公司打开的实时连接过多");
    }
    return Status();
  }
  Status CheckCaps(const domain::Principal& p) {
    std::lock_guard lock(mu);
    return CapsLocked(p);
  }

  // Whether `p` sees an alert of this owner and unit (0: none) on a stream.
  bool AlertVisible(const domain::Principal& p, int64_t owner, int64_t unit) {
    if (domain::SeesWholeTenant(p.role) || p.is_system()) return true;
    if (owner == p.user_id) return true;
    if (p.role != domain::Role::kUnitLead) return false;
    if (!unit) return false;
    store::TenantScope scope(p.tenant_id);
    auto conn = db.Acquire();
    if (!conn.ok()) return false;
    auto in = domain::UnitTree::InSubtree(**conn, p.tenant_id, unit, p.unit_path);
    return in.ok() && *in;
  }
  bool AlertVisible(const domain::Principal& p, const alerts::AlertChange& alert) {
    return AlertVisible(p, alert.owner_id.value_or(0), alert.unit_id.value_or(0));
  }
  // An alert event as stored in the log (replayed after Last-Event-ID).
  bool AlertVisible(const domain::Principal& p, const json& alert) {
    auto id_of = [&](const char* key) {
      return alert.value(key, json(nullptr)).is_number() ? alert[key].get<int64_t>() : int64_t{0};
    };
    return AlertVisible(p, id_of("owner_id"), id_of("unit_id"));
  }

  // Ends the streams whose credential no longer works or now stands for someone else (another
  // role or unit): logout, revoked sessions, a disabled or archived user, a changed role.
  void Revalidate() {
    Authenticator check;
    std::map<std::string, std::vector<std::shared_ptr<Sub>>> by_token;
    {
      std::lock_guard lock(mu);
      check = authenticate;
      for (auto& [id, s] : subs) by_token[s->token].push_back(s);
    }
    if (!check) return;
    for (auto& [token, list] : by_token) {
      auto now_p = check(token);
      for (auto& s : list) {
        bool same = now_p.ok() && now_p->user_id == s->p.user_id && now_p->tenant_id == s->p.tenant_id && now_p->role == s->p.role &&
                    now_p->unit_path == s->p.unit_path;
        if (same) continue;
        if (auto st = s->stream.lock()) {
          st->Push(Frame(0, "end", {{"code", "stream.credential"}, {"message", "the session ended or changed; sign in again"},
                                    {"message_zh", "会话已结束或权限已变化，请重新登录"}}));
          st->Close();
        }
        std::lock_guard lock(mu);
        subs.erase(s->id);
      }
    }
  }

  void Run() {
    while (true) {
      std::vector<std::shared_ptr<Sub>> due;
      std::map<int64_t, int64_t> seqs;
      bool check = false;
      {
        std::unique_lock lock(mu);
        cv.wait_for(lock, std::chrono::milliseconds(opt.min_interval_ms));
        if (stop) return;
        TimeMs now = clock.NowMs();
        if (revalidate || now - last_revalidated >= opt.revalidate_ms) {
          revalidate = false;
          last_revalidated = now;
          check = !subs.empty();
        }
        for (auto it = subs.begin(); it != subs.end();) {
          if (it->second->stream.expired()) {
            it = subs.erase(it);
            continue;
          }
          if (it->second->dirty && now - it->second->last_sent >= opt.min_interval_ms) {
            it->second->dirty = false;
            it->second->last_sent = now;
            due.push_back(it->second);
          }
          ++it;
        }
        seqs = seq;
      }
      if (check) Revalidate();
      for (auto& s : due) {
        auto stream = s->stream.lock();
        if (!stream) continue;
        store::TenantScope scope(s->p.tenant_id);  // the subscriber's rows only (row-level security)
        auto frame = Snapshot(*s, seqs[s->p.tenant_id]);
        if (frame) stream->Push(std::move(*frame));
      }
    }
  }
};

StreamHub::StreamHub(store::Database& db, metrics::MetricEngine& metrics, alerts::AlertEngine* alerts,
                     const Clock& clock, StreamOptions options)
    : impl_(std::make_unique<Impl>(db, metrics, alerts, clock, options)) {
  Impl* impl = impl_.get();
  impl_->listener = metrics.AddListener([impl](int64_t tenant, const std::vector<std::string>& changed, int64_t seq) {
    std::lock_guard lock(impl->mu);
    impl->seq[tenant] = std::max(impl->seq[tenant], seq);
    bool any = false;
    for (auto& [id, s] : impl->subs) {
      if (s->p.tenant_id != tenant || !s->metrics) continue;
      for (const auto& c : changed) {
        if (s->names.count(c)) {
          s->dirty = true;
          any = true;
          break;
        }
      }
    }
    if (any) impl->cv.notify_all();
  });
  // Alerts come from the log, as every node folds it: a client on any node sees the alerts raised
  // on every node, each frame's id the alert event's sequence number (Last-Event-ID resumes
  // exactly after it, on any node).
  if (alerts) {
    impl_->alert_listener = metrics.AddEventListener("alert.", [impl](int64_t tenant, const events::Event& ev) {
      if (!IsAlertChange(ev.type)) return;
      std::vector<std::pair<std::shared_ptr<Sub>, std::shared_ptr<EventStream>>> targets;
      {
        std::lock_guard lock(impl->mu);
        for (auto& [sid, s] : impl->subs) {
          if (s->p.tenant_id != tenant || !s->alerts) continue;
          if (auto st = s->stream.lock()) targets.emplace_back(s, st);
        }
      }
      if (targets.empty()) return;
      const json frame = json::parse(ev.payload, nullptr, false);
      if (frame.is_discarded()) return;
      for (auto& [s, st] : targets) {
        if (impl->AlertVisible(s->p, frame)) st->Push(Frame(ev.seq, "alert", frame));
      }
    });
  }
  impl_->worker = std::thread([impl] { impl->Run(); });
}

StreamHub::~StreamHub() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->cv.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
  impl_->metrics.RemoveListener(impl_->listener);
  if (impl_->alerts) impl_->metrics.RemoveEventListener(impl_->alert_listener);
  std::lock_guard lock(impl_->mu);
  for (auto& [id, s] : impl_->subs) {
    if (auto st = s->stream.lock()) st->Close();
  }
}

void StreamHub::SetAuthenticator(Authenticator authenticate) {
  std::lock_guard lock(impl_->mu);
  impl_->authenticate = std::move(authenticate);
}

void StreamHub::RevalidateNow() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->revalidate = true;
  }
  impl_->cv.notify_all();
}

size_t StreamHub::open_streams() const {
  std::lock_guard lock(impl_->mu);
  return impl_->subs.size();
}

Result<std::shared_ptr<EventStream>> StreamHub::Open(const domain::Principal& p, const QueryParams& params,
                                                     const std::string& last_event_id, const std::string& token) {
  auto sub = std::make_shared<Sub>();
  sub->p = p;
  sub->token = token;
  KEEL_RETURN_IF_ERROR(impl_->CheckCaps(p));
  QueryParams metric_params;
  for (const auto& [k, v] : params) {
    if (k == "alerts") sub->alerts = v == "true" || v == "1";
    else metric_params.emplace_back(k, v);
  }
  sub->metrics = !metric_params.empty();
  if (!sub->metrics && !sub->alerts) {
    return Status::Invalid("stream.empty", "subscribe to metrics=… and/or alerts=true", "请订阅 metrics=… 和/或 alerts=true", "metrics");
  }
  int64_t resume = 0;
  if (!last_event_id.empty()) {
    char* end = nullptr;
    resume = std::strtoll(last_event_id.c_str(), &end, 10);
    if (*end != '\0' || resume < 0) {
      return Status::Invalid("stream.last_event_id", "Last-Event-ID must be a sequence number", "Last-Event-ID 须为序号", "Last-Event-ID");
    }
  }
  auto stream = std::make_shared<EventStream>();
  std::vector<std::string> first;
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(int64_t head, events::LastSeq(*conn, p.tenant_id));
  if (sub->metrics) {
    KEEL_ASSIGN_OR_RETURN(auto tz, impl_->metrics.ZoneOf(p.tenant_id));
    KEEL_ASSIGN_OR_RETURN(metrics::MetricQuery q, ParseMetricQuery(metric_params, *tz, impl_->clock.NowMs()));
    for (const auto& m : q.metrics) sub->names.insert(m);
    // Validate the whole query (scope, dimensions) before the stream starts.
    KEEL_ASSIGN_OR_RETURN(metrics::QueryResult snapshot, impl_->metrics.Query(p, q));
    sub->params = metric_params;
    first.push_back(Frame(head, "metrics", metrics::ToJson(snapshot)));
  }
  if (resume > 0 && sub->alerts) {
    // The alert events after Last-Event-ID come first, then the current values.
    events::ReadOptions ro;
    ro.after_seq = resume;
    ro.limit = 1000;
    ro.type_prefix = "alert.";
    KEEL_ASSIGN_OR_RETURN(auto replay, events::Read(*conn, p.tenant_id, ro));
    std::vector<std::string> replayed;
    for (const auto& ev : replay) {
      if (!IsAlertChange(ev.type)) continue;
      json a = json::parse(ev.payload, nullptr, false);
      if (!a.is_discarded() && impl_->AlertVisible(p, a)) replayed.push_back(Frame(ev.seq, "alert", a));
    }
    first.insert(first.begin(), replayed.begin(), replayed.end());
  }
  first.insert(first.begin(), "retry: 3000\n\n");
  for (auto& f : first) stream->Push(std::move(f));
  {
    std::lock_guard lock(impl_->mu);
    KEEL_RETURN_IF_ERROR(impl_->CapsLocked(p));
    sub->id = impl_->next_id++;
    sub->stream = stream;
    impl_->seq[p.tenant_id] = std::max(impl_->seq[p.tenant_id], head);
    impl_->subs[sub->id] = sub;
  }
  Impl* impl = impl_.get();
  int64_t sid = sub->id;
  stream->on_close = [impl, sid] {
    std::lock_guard lock(impl->mu);
    impl->subs.erase(sid);
  };
  return stream;
}

}  // namespace keel::http
