// The sentiment model: trained from rated feedback, kept only when it beats the lexicon.
#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "domain/audit.h"
#include "text/internal.h"

namespace keel::text {

// ---- The sentiment model ----

Result<SentimentModelView> TextService::SentimentModel(const Principal& p) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(p.tenant_id));
  KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
  KEEL_ASSIGN_OR_RETURN(repo::RatedCounts r, repo::CountRatedTexts(*conn, p.tenant_id));
  SentimentModelView out;
  out.feedback = {r.total, r.positive, r.negative, impl_->opt.min_rated_feedback, impl_->opt.min_per_class};
  std::lock_guard lock(t->mu);
  if (!t->sentiment) {
    out.model = "lexicon";
    out.note_en = "not enough rated feedback yet: the lexicon judges sentiment";
    out.note_zh = "评分反馈尚不足，暂由情感词典判定";
    return out;
  }
  out.model = "fasttext:v" + std::to_string(t->sentiment_version);
  out.card = t->sentiment_card;
  return out;
}

Result<json> TextService::TrainSentiment(const Principal& p) {
  if (!CanManage(p)) return Forbidden();
  return TrainSentimentFor(p.tenant_id);
}

// Rated feedback with text → labels (4-5 positive, 3 neutral, 1-2 negative); the older 80 % trains,
// the newer 20 % is the holdout on which the model must beat the lexicon; then the model is
// trained on all of it, stored, and every feedback is judged again.
Result<json> TextService::TrainSentimentFor(int64_t tenant) {
  KEEL_ASSIGN_OR_RETURN(auto t, impl_->Tenant(tenant));
  std::vector<std::pair<std::string, std::string>> data;  // label, text
  int64_t last_rows = t->sentiment_card.is_object() ? t->sentiment_card.value("rows", int64_t{0}) : 0;
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(std::vector<repo::RatedText> rated, repo::RatedTexts(*conn, tenant));
    for (auto& [rating, text] : rated) {
      if (!IsCleanText(text) || text.size() > impl_->opt.max_text_bytes) continue;
      data.push_back({rating >= 4 ? "pos" : rating <= 2 ? "neg" : "neu", text});
    }
  }
  int64_t pos = 0, neg = 0, neu = 0;
  for (const auto& [l, s] : data) (l == "pos" ? pos : l == "neg" ? neg : neu)++;
  if (static_cast<int>(data.size()) < impl_->opt.min_rated_feedback || pos < impl_->opt.min_per_class || neg < impl_->opt.min_per_class) {
    return Status::Invalid("text.not_enough_data",
                           "not enough rated feedback to train: " + std::to_string(data.size()) + " texts (" + std::to_string(pos) + " positive, " +
                               std::to_string(neg) + " negative); " + std::to_string(impl_->opt.min_rated_feedback) + " with " +
                               std::to_string(impl_->opt.min_per_class) + " of each are needed — the lexicon is used until then",
                           "评分反馈不足，暂不训练：共 " + std::to_string(data.size()) + " 条（正面 " + std::to_string(pos) + "，负面 " +
                               std::to_string(neg) + "）；需要 " + std::to_string(impl_->opt.min_rated_feedback) + " 条且每类至少 " +
                               std::to_string(impl_->opt.min_per_class) + " 条，此前使用情感词典",
                           "feedback");
  }
  if (t->sentiment && static_cast<double>(data.size()) < static_cast<double>(last_rows) * 1.2) {
    return Status::Error(ErrorKind::kConflict, "text.up_to_date", "the model is up to date with the rated feedback", "模型已与评分反馈同步");
  }
  bool three = neu >= impl_->opt.min_per_class;
  auto example = [&](const std::pair<std::string, std::string>& d) {
    std::string label = d.first == "neu" && !three ? "" : d.first;
    return Classifier::Example{{label}, ClassifierInput(Segment(d.second, t->terms))};
  };
  size_t cut = data.size() * 8 / 10;
  std::vector<Classifier::Example> train;
  for (size_t i = 0; i < cut; ++i) {
    auto e = example(data[i]);
    if (!e.labels[0].empty()) train.push_back(std::move(e));
  }
  KEEL_ASSIGN_OR_RETURN(auto model, Classifier::Train(train, Classifier::Options{}));
  int right = 0, lex_right = 0, n = 0;
  for (size_t i = cut; i < data.size(); ++i) {
    if (data[i].first == "neu" && !three) continue;
    auto tokens = Segment(data[i].second, t->terms);
    std::string want = data[i].first == "pos" ? "positive" : data[i].first == "neg" ? "negative" : "neutral";
    right += ModelSentiment(*model, tokens, 0).label == want;
    lex_right += LexiconSentiment(tokens).label == want;
    ++n;
  }
  double acc = n ? static_cast<double>(right) / n : 0, lex = n ? static_cast<double>(lex_right) / n : 0;
  std::vector<Classifier::Example> all;
  for (const auto& d : data) {
    auto e = example(d);
    if (!e.labels[0].empty()) all.push_back(std::move(e));
  }
  KEEL_ASSIGN_OR_RETURN(auto final_model, Classifier::Train(all, Classifier::Options{}));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, final_model->Save());
  json card = {{"rows", data.size()}, {"positive", pos}, {"negative", neg}, {"neutral", neu}, {"classes", three ? 3 : 2},
               {"holdout_rows", n}, {"holdout_accuracy", std::round(acc * 1000) / 1000},
               {"lexicon_holdout_accuracy", std::round(lex * 1000) / 1000}, {"trained_at", FormatTimestamp(impl_->clock.NowMs())},
               {"labels", "rating 4-5 positive, 3 neutral, 1-2 negative"}};
  if (acc < lex) {
    card["status"] = "rejected";
    card["reason"] = "the model did not beat the lexicon on the holdout";
    return card;
  }
  {
    KEEL_ASSIGN_OR_RETURN(auto conn, impl_->db.Acquire());
    KEEL_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    KEEL_ASSIGN_OR_RETURN(int64_t version, repo::NextModelVersion(*conn, tenant, "sentiment"));
    card["version"] = version;
    KEEL_RETURN_IF_ERROR(repo::InsertModel(*conn, tenant, "sentiment", {version, Base64UrlEncode(bytes), card.dump()},
                                           FormatTimestamp(impl_->clock.NowMs())));
    KEEL_RETURN_IF_ERROR(tx.Commit());
  }
  impl_->Forget(tenant);
  // Every feedback with text is judged again by the new model.
  KEEL_ASSIGN_OR_RETURN(std::vector<TextRow> rows, impl_->LoadRows(tenant, "feedback", {.with_text = true}));
  for (size_t from = 0; from < rows.size(); from += 2000) {
    std::vector<TextRow> chunk(rows.begin() + static_cast<long>(from), rows.begin() + static_cast<long>(std::min(rows.size(), from + 2000)));
    KEEL_RETURN_IF_ERROR(impl_->AnalyseRows(tenant, "feedback", chunk, false));
  }
  card["status"] = "active";
  card["rescored_feedback"] = rows.size();
  return card;
}

}  // namespace keel::text
