// The AI service: training a model version, its card and promotion, the versions, rollback.
#include "ai/service_impl.h"

#include <numeric>

#include "ai/drift.h"
#include "ai/evaluate.h"
#include "ai/json.h"
#include "ai/store.h"
#include "common/crypto.h"
#include "domain/audit.h"
#include "events/event_log.h"
#include "events/store.h"

namespace keel::ai {

namespace {

// Rows of examples encoded with `spec`, with their labels and weights when asked for.
Matrix Encode(const std::vector<const Example*>& rows, const FeatureSpec& s, std::vector<float>* y, std::vector<float>* w) {
  Matrix m(rows.size(), s.columns());
  std::vector<const RawFeatures*> raw;
  for (const auto* e : rows) raw.push_back(&e->f);
  s.EncodeBatch(raw.data(), raw.size(), m.x.data());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (y) y->push_back(rows[i]->label);
    if (w) w->push_back(rows[i]->weight);
  }
  return m;
}

// The new model against the active one, on holdout records the active one has not seen
// (resolved after its data); sets `promote` to whether the new one is not worse.
Result<json> CompareWithActive(const Active& current, const std::vector<const Example*>& holdout, const std::vector<float>& hp,
                               double tolerance, bool* promote) {
  TimeMs seen_until = 0;
  if (auto r = ParseTimestamp(current.card["data"].value("resolved_until", "")); r.ok()) seen_until = *r;
  std::vector<const Example*> unseen;
  std::vector<float> uy, new_p;
  for (size_t i = 0; i < holdout.size(); ++i) {
    if (holdout[i]->resolved > seen_until) {
      unseen.push_back(holdout[i]);
      uy.push_back(holdout[i]->label);
      new_p.push_back(hp[i]);
    }
  }
  int64_t upos = 0;
  for (float v : uy) upos += v > 0.5 ? 1 : 0;
  int64_t uneg = static_cast<int64_t>(uy.size()) - upos;
  *promote = true;
  if (upos < 30 || uneg < 30) {
    return json{{"against_version", current.version}, {"rows", uy.size()}, {"promoted", true},
                {"note", "too few outcomes since the current model's data to compare; promoted"}};
  }
  Matrix old_x(unseen.size(), current.Columns());
  for (size_t i = 0; i < unseen.size(); ++i) current.Encode(unseen[i]->f, old_x.row(i));
  KEEL_ASSIGN_OR_RETURN(std::vector<float> old_p, current.booster.Predict(old_x));
  double old_auc = Auc(old_p, uy), new_auc = Auc(new_p, uy);
  *promote = new_auc >= old_auc - tolerance;
  return json{{"against_version", current.version}, {"rows", uy.size()}, {"current_auc", Round(old_auc, 0.0001)},
              {"new_auc", Round(new_auc, 0.0001)}, {"current_log_loss", Round(LogLoss(old_p, uy), 0.0001)},
              {"new_log_loss", Round(LogLoss(new_p, uy), 0.0001)}, {"promoted", *promote}};
}

// Gain importance per feature (a categorical feature's columns add up), largest first.
Result<json> Importance(const FeatureSpec& spec, const Booster& model) {
  size_t cols = spec.columns();
  KEEL_ASSIGN_OR_RETURN(std::vector<double> gain, model.Importance(cols));
  const auto& defs = spec.defs();
  std::vector<double> by_feature(defs.size(), 0.0);
  std::vector<int> col_feature = spec.column_feature();
  for (size_t c = 0; c < cols; ++c) by_feature[static_cast<size_t>(col_feature[c])] += gain[c];
  std::vector<size_t> order(defs.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return by_feature[a] > by_feature[b]; });
  json importance = json::array();
  for (size_t f : order) {
    if (by_feature[f] <= 0) continue;
    importance.push_back({{"feature", defs[f].name}, {"en", defs[f].en}, {"zh", defs[f].zh}, {"share", Round(by_feature[f], 0.001)}});
  }
  return importance;
}

// The population scored when the model goes live, which drift is measured against: the open
// records now, or the training snapshots when there are fewer than 20.
Result<json> Reference(const History& h, const FeatureSpec& spec, const Booster& model, const std::vector<const Example*>& all,
                       const Matrix& ax, TimeMs now) {
  std::vector<int64_t> open = h.OpenIds();
  std::vector<RawFeatures> raws(open.size());
  Matrix ox(open.size(), spec.columns());
  for (size_t i = 0; i < open.size(); ++i) {
    h.At(open[i], now, &raws[i]);
    spec.Encode(raws[i], ox.row(i));
  }
  std::vector<const RawFeatures*> rows;
  std::vector<float> w, scores;
  if (open.size() >= 20) {
    for (const auto& r : raws) rows.push_back(&r);
    w.assign(rows.size(), 1.0f);
    KEEL_ASSIGN_OR_RETURN(scores, model.Predict(ox));
  } else {
    for (const auto* e : all) {
      rows.push_back(&e->f);
      w.push_back(e->weight);
    }
    KEEL_ASSIGN_OR_RETURN(scores, model.Predict(ax));
  }
  json reference = BuildReference(spec.defs(), rows, w, scores);
  reference["population"] = open.size() >= 20 ? "open records at training time" : "training snapshots";
  return reference;
}

}  // namespace

// Stores a trained version (active when promoted, retiring the active one) and starts the
// tenant's rescoring cursor at its log's head if it never started; returns the version.
Result<int> AiService::Impl::StoreVersion(int64_t tenant, Target target, bool promote, json& card, const std::string& spec,
                                          const std::string& model, int64_t actor) {
  std::string now = card["trained_at"].get<std::string>();
  KEEL_ASSIGN_OR_RETURN(auto conn, db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
  KEEL_ASSIGN_OR_RETURN(int last, repo::MaxVersion(*conn, tenant, TargetName(target)));
  int version = last + 1;
  card["version"] = version;
  if (promote) KEEL_RETURN_IF_ERROR(repo::RetireActive(*conn, tenant, TargetName(target)));
  repo::NewModel row{version, promote ? "active" : "rejected", card.dump(), spec, model, now};
  if (actor) row.created_by = actor;
  if (promote) row.activated_at = now;
  KEEL_RETURN_IF_ERROR(repo::InsertModel(*conn, tenant, TargetName(target), row));
  KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> cursor, events::LoadCursor(*conn, tenant, kConsumerName));
  if (!cursor) {
    KEEL_ASSIGN_OR_RETURN(int64_t head, events::LastSeq(*conn, tenant));
    KEEL_RETURN_IF_ERROR(consumer.SetCursor(*conn, tenant, head));
  }
  KEEL_RETURN_IF_ERROR(tx.Commit());
  return version;
}

Result<TrainResult> AiService::Train(int64_t tenant, Target target, int64_t actor,
                              const std::function<void(double, const std::string&)>& progress) {
  auto say = [&](double f, const std::string& what) {
    if (progress) progress(f, what);
  };
  say(0.02, "loading history");
  std::optional<History> loaded;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(loaded, History::Load(*conn, tenant, target));
  }
  const History& h = *loaded;
  std::vector<Example> examples = h.TrainingExamples();
  // Resolved records by class, and the time split.
  std::map<int64_t, std::pair<TimeMs, bool>> resolved;
  for (const auto& e : examples) resolved[e.id] = {e.resolved, e.label > 0.5};
  int64_t pos = 0, neg = 0;
  std::vector<TimeMs> times;
  for (const auto& [id, r] : resolved) {
    (r.second ? pos : neg)++;
    times.push_back(r.first);
  }
  const char* what_en = target == Target::kLead ? "converted and disqualified leads" : "won and lost deals";
  const char* what_zh = target == Target::kLead ? "已转化/无效线索" : "赢单/输单商机";
  if (pos < impl_->opt.min_per_class || neg < impl_->opt.min_per_class) {
    return Status::Invalid("ai.not_enough_data",
                           std::string("not enough history yet to train: ") + std::to_string(pos) + " successes and " + std::to_string(neg) +
                               " failures among " + what_en + "; at least " + std::to_string(impl_->opt.min_per_class) +
                               " of each are needed, so no score is given",
                           std::string("历史数据不足，暂不训练：") + what_zh + "中成功 " + std::to_string(pos) + " 条、失败 " + std::to_string(neg) +
                               " 条；每类至少需要 " + std::to_string(impl_->opt.min_per_class) + " 条，因此暂不给出评分",
                           "history");
  }
  std::sort(times.begin(), times.end());
  TimeMs cutoff = times[static_cast<size_t>(static_cast<double>(times.size()) * (1 - impl_->opt.holdout))];
  std::vector<const Example*> train, holdout;
  for (const auto& e : examples) (e.resolved < cutoff ? train : holdout).push_back(&e);
  FeatureSpec spec;
  {
    std::vector<Example> tr;
    for (const auto* e : train) tr.push_back(*e);
    spec = FitSpec(target, tr, h.custom());
  }
  // Early stopping on a slice of the training records (whole records, never split snapshots).
  std::vector<const Example*> fit, stop;
  for (const auto* e : train) ((e->id * 2654435761u) % 7 == 0 ? stop : fit).push_back(e);
  std::vector<float> fy, fw, sy, hy;
  Matrix fx = Encode(fit, spec, &fy, &fw), sx = Encode(stop, spec, &sy, nullptr), hx = Encode(holdout, spec, &hy, nullptr);
  TrainParams params = impl_->opt.params;
  say(0.1, "training on records resolved before the holdout");
  KEEL_ASSIGN_OR_RETURN(Booster eval_model, Booster::Train(fx, fy, fw, params, &sx, &sy, [&](int r, int n) {
                          say(0.1 + 0.4 * r / n, "boosting");
                          return true;
                        }));
  KEEL_ASSIGN_OR_RETURN(std::vector<float> hp, eval_model.Predict(hx));
  Evaluation ev = Evaluate(hp, hy);
  say(0.55, "evaluated on the holdout");
  // Bands: A = the top 15 % of holdout scores, B the next 25 %, C the next 30 %, D the rest.
  std::vector<float> sorted = hp;
  std::sort(sorted.begin(), sorted.end());
  auto q = [&](double f) { return sorted.empty() ? 1.0 : static_cast<double>(sorted[std::min(sorted.size() - 1, static_cast<size_t>(f * sorted.size()))]); };
  json bands = {{"A", Round(q(0.85), 0.0001)}, {"B", Round(q(0.60), 0.0001)}, {"C", Round(q(0.30), 0.0001)}};
  json comparison = nullptr;
  bool promote = true;
  KEEL_ASSIGN_OR_RETURN(std::shared_ptr<Active> current, impl_->ActiveModel(tenant, target));
  if (current) {
    KEEL_ASSIGN_OR_RETURN(comparison, CompareWithActive(*current, holdout, hp, impl_->opt.promote_tolerance, &promote));
  }
  // The final model: every resolved record, the round count early stopping chose.
  std::vector<const Example*> all;
  for (const auto& e : examples) all.push_back(&e);
  std::vector<float> ay, aw;
  Matrix ax = Encode(all, spec, &ay, &aw);
  params.rounds = std::max(20, eval_model.rounds());
  params.early_stopping = 0;
  say(0.6, "training the final model on all resolved records");
  KEEL_ASSIGN_OR_RETURN(Booster final_model, Booster::Train(ax, ay, aw, params, nullptr, nullptr, [&](int r, int n) {
                          say(0.6 + 0.3 * r / n, "boosting");
                          return true;
                        }));
  KEEL_ASSIGN_OR_RETURN(json importance, Importance(spec, final_model));
  KEEL_ASSIGN_OR_RETURN(json reference, Reference(h, spec, final_model, all, ax, impl_->clock.NowMs()));
  TimeMs first_created = INT64_MAX;
  for (const auto& e : examples) first_created = std::min(first_created, e.at);
  std::string now = FormatTimestamp(impl_->clock.NowMs());
  json card = {
      {"target", TargetName(target)},
      {"feature_version", kFeatureVersion},
      {"trained_at", now},
      {"data", {{"records", resolved.size()}, {"positives", pos}, {"negatives", neg}, {"snapshots", examples.size()},
                {"from", FormatTimestamp(first_created)}, {"resolved_until", FormatTimestamp(times.back())},
                {"holdout_from", FormatTimestamp(cutoff)}, {"train_snapshots", train.size()},
                {"holdout_snapshots", holdout.size()}}},
      {"holdout", ev.ToJson()},
      {"comparison", comparison},
      {"bands", bands},
      {"reference", reference},
      {"rounds", final_model.rounds()},
      {"importance", importance},
      {"params", {{"max_depth", params.max_depth}, {"eta", params.eta}, {"subsample", params.subsample},
                  {"colsample_bytree", params.colsample}, {"min_child_weight", params.min_child_weight}}},
      {"method", "XGBoost binary:logistic on as-of snapshots (ages before resolution, weighted 1/snapshots per record); "
                 "time-based holdout = the latest resolved records; the final model is refit on all records"}};
  KEEL_ASSIGN_OR_RETURN(std::string bytes, final_model.Save());
  KEEL_ASSIGN_OR_RETURN(int version, impl_->StoreVersion(tenant, target, promote, card, spec.ToJson().dump(), Base64UrlEncode(bytes), actor));
  impl_->Forget(tenant, target);
  {
    std::lock_guard lock(impl_->mu);
    impl_->owners.erase({tenant, target});
  }
  int64_t scored = 0;
  if (promote) {
    say(0.92, "scoring open records");
    KEEL_ASSIGN_OR_RETURN(scored, ScoreAll(tenant, target));
  }
  say(1.0, "done");
  json auc = card["holdout"]["auc"];
  return TrainResult{version, promote ? "active" : "rejected", std::move(auc), scored, std::move(card)};
}

Result<JobView> AiService::StartTraining(const Principal& p, const std::string& target_name) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  KEEL_ASSIGN_OR_RETURN(JobView job, impl_->NewJob(p, "train", TargetName(target)));
  int64_t id = job.id, tenant = p.tenant_id, actor = p.user_id;
  {
    impl_->consumer.Post([this, id, tenant, actor, target] {
      (void)impl_->SetJob(tenant, id, "running", 0, "");
      TimeMs last = 0;
      auto r = Train(tenant, target, actor, [&](double f, const std::string& what) {
        TimeMs now = impl_->clock.NowMs();
        if (now - last < 500 && f < 1.0) return;
        last = now;
        (void)impl_->SetJob(tenant, id, "running", Round(f, 0.01), what);
      });
      if (r.ok()) {
        json result = ToJson(*r);
        (void)impl_->SetJob(tenant, id, "done", 1.0, "version " + std::to_string(r->version) + " " + r->status, &result);
      } else {
        json err = {{"code", r.status().code()}, {"message", r.status().message_en()}, {"message_zh", r.status().message_zh()}};
        (void)impl_->SetJob(tenant, id, "failed", 1.0, r.status().message_en(), &err);
      }
      impl_->jobs_done.fetch_add(1);
    });
  }
  return job;
}

Result<ModelVersions> AiService::Models(const Principal& p, const std::string& target_name) {
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(auto rows, repo::ModelVersions(*conn, p.tenant_id, TargetName(target)));
  ModelVersions out;
  out.target = TargetName(target);
  for (const auto& r : rows) {
    json card = json::parse(r.card);
    json auc = card["holdout"]["auc"];
    if (r.status == "active") out.active_version = r.version;
    out.versions.push_back({r.version, r.status, r.created_at, r.activated_at, std::move(auc), std::move(card)});
  }
  if (!out.active_version) {
    // Say plainly why there is no score.
    KEEL_ASSIGN_OR_RETURN(std::optional<std::string> last, repo::LastFailedTraining(*conn, p.tenant_id, TargetName(target)));
    out.message = "no model yet: scores appear once a model is trained on enough history (at least " +
                  std::to_string(impl_->opt.min_per_class) + " outcomes of each kind)";
    out.message_zh = "尚无模型：历史数据足够（每类结果至少 " + std::to_string(impl_->opt.min_per_class) + " 条）并训练后才会给出评分";
    if (last) out.last_failure = json::parse(*last, nullptr, false);
  }
  return out;
}

Result<json> AiService::ModelCard(const Principal& p, const std::string& target_name, int version) {
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(std::optional<repo::ModelRow> row, repo::LoadModelCard(*conn, p.tenant_id, TargetName(target), version));
  if (!row) {
    return Status::Error(ErrorKind::kNotFound, "not_found", "no such model version", "没有该模型版本", "version");
  }
  json card = json::parse(row->card);
  card["status"] = row->status;
  return card;
}

Result<RollbackResult> AiService::Rollback(const Principal& p, const std::string& target_name, int version) {
  if (!CanManage(p)) return Forbidden();
  KEEL_ASSIGN_OR_RETURN(Target target, TargetOf(target_name));
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    KEEL_ASSIGN_OR_RETURN(auto rows, repo::VersionStatuses(*conn, p.tenant_id, TargetName(target)));
    int current = 0;
    for (const auto& r : rows) {
      if (r.status == "active") current = r.version;
    }
    int to = version;
    if (to == 0) {
      // The newest retired version older than the current one.
      for (const auto& r : rows) {
        if (r.status == "retired" && (current == 0 || r.version < current)) {
          to = r.version;
          break;
        }
      }
    }
    bool exists = false;
    for (const auto& r : rows) exists = exists || r.version == to;
    if (to == 0 || !exists) {
      return Status::Error(ErrorKind::kNotFound, "ai.no_version", "no earlier model version to roll back to", "没有可回滚的早期模型版本",
                           "version");
    }
    if (to == current) return Status::Error(ErrorKind::kConflict, "ai.already_active", "that version is already active", "该版本已是当前版本", "version");
    std::string now = FormatTimestamp(impl_->clock.NowMs());
    KEEL_RETURN_IF_ERROR(repo::RetireActive(*conn, p.tenant_id, TargetName(target)));
    KEEL_RETURN_IF_ERROR(repo::ActivateVersion(*conn, p.tenant_id, TargetName(target), to, now));
    KEEL_RETURN_IF_ERROR(events::AppendOne(*conn, p.tenant_id, impl_->clock.NowMs(), "model.activated", "ai_models", to, p.user_id,
                                           json{{"target", TargetName(target)}, {"version", to}, {"previous", current}}.dump()).status());
    KEEL_RETURN_IF_ERROR(domain::AuditChange(*conn, p, impl_->clock.NowMs(),
                                             {"rollback", "ai_models", to, {{"target", TargetName(target)}, {"active_version", current}},
                                              {{"target", TargetName(target)}, {"active_version", to}}}));
    KEEL_RETURN_IF_ERROR(tx.Commit());
    version = to;
  }
  impl_->Forget(p.tenant_id, target);
  KEEL_ASSIGN_OR_RETURN(int64_t scored, ScoreAll(p.tenant_id, target));
  return RollbackResult{TargetName(target), version, scored};
}

}  // namespace keel::ai
