// Text benchmarks (issue 5), each next to a baseline measured in the same run:
//   1. notes analysed per second — segmentation + key phrases + sentiment (lexicon, and the
//      tenant's fastText model) + intents — on the demo's visit notes and on the waimai reviews,
//      next to ICU segmentation alone over the same texts;
//   2. the service path: analyses stored with corpus statistics (Backfill), per second;
//   3. the daily recap of a unit-day (read, analyse what is missing, group, quote, store), p50/p99,
//      next to the bare SQL read of that unit-day's notes.
// Usage: text_bench
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "bench_demo.h"
#include "bench_util.h"
#include "demo/demo.h"
#include "domain/auth.h"
#include "ingest/csv.h"
#include "support/test_db.h"
#include "text/classify.h"
#include "text/keywords.h"
#include "text/segment.h"
#include "text/service.h"

namespace {

using namespace keel::bench;
using namespace keel::text;

struct Rates {
  double segment = 0, full_lexicon = 0, full_model = 0;
};

Rates Measure(const std::vector<std::string>& texts, const Classifier* model, const CorpusStats& stats) {
  Rates r;
  Terms terms({"格力", "美的", "1.5匹", "挂机"});
  size_t sink = 0;
  auto s0 = Clock::now();
  for (const auto& t : texts) sink += Segment(t, terms).size();
  r.segment = static_cast<double>(texts.size()) / Seconds(s0);
  const auto& intents = BuiltinIntents();
  auto full = [&](bool with_model) {
    auto t0 = Clock::now();
    for (const auto& t : texts) {
      auto tokens = Segment(t, terms);
      auto kp = KeyPhrases({tokens}, stats, terms, 5);
      Sentiment s = with_model && model ? ModelSentiment(*model, tokens, 1) : LexiconSentiment(tokens);
      auto in = RuleIntents(intents, tokens, Normalize(t));
      sink += kp.size() + in.size() + static_cast<size_t>(s.score > 0);
    }
    return static_cast<double>(texts.size()) / Seconds(t0);
  };
  r.full_lexicon = full(false);
  r.full_model = full(true);
  if (sink == 42) std::printf(" ");
  return r;
}

}  // namespace

int main() {
  spdlog::set_level(spdlog::level::warn);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  keel::bench::DemoEnv env;
  auto& db = env.db;
  auto& clock = env.clock;
  auto& rs = env.rs;
  const auto& demo = env.demo;
  std::printf("Keel text benchmarks (demo tenant; 2 cores)\n");
  std::printf("  %-48s %10s %-8s | %-34s %10s %-8s | ratio\n", "figure", "value", "", "same-run baseline", "value", "");

  // The demo's notes.
  std::vector<std::string> notes;
  {
    auto conn = std::move(db->Acquire()).value();
    keel::store::Value q[] = {demo.tenant_id};
    auto r = conn->Query("SELECT notes FROM activities WHERE tenant_id = ? AND notes IS NOT NULL ORDER BY id LIMIT 20000", q).value();
    for (const auto& row : r.rows) notes.push_back(keel::store::AsText(row[0]));
  }
  CorpusStats stats;
  for (const auto& n : notes) stats.Add(Segment(n));
  // A sentiment model like a tenant's (trained on the demo's rated feedback).
  std::vector<Classifier::Example> ex;
  {
    auto conn = std::move(db->Acquire()).value();
    keel::store::Value q[] = {demo.tenant_id};
    auto r = conn->Query("SELECT rating, text FROM feedback WHERE tenant_id = ? AND text IS NOT NULL AND rating <> 3", q).value();
    for (const auto& row : r.rows) {
      ex.push_back({{keel::store::AsInt(row[0]) >= 4 ? "pos" : "neg"}, ClassifierInput(Segment(keel::store::AsText(row[1])))});
    }
  }
  auto model = Classifier::Train(ex, Classifier::Options{}).value();
  Rates d = Measure(notes, model.get(), stats);
  char label[96];
  std::snprintf(label, sizeof label, "demo notes (%zu): full analysis, lexicon", notes.size());
  Row(label, d.full_lexicon, "notes/s", "ICU segmentation alone", d.segment);
  Row("demo notes: full analysis, fastText sentiment", d.full_model, "notes/s", "ICU segmentation alone", d.segment);

  // The waimai reviews, when the shared datasets are there.
  std::string path = keel::testing::SharedDataset("waimai-reviews/waimai_10k.csv");
  if (path.empty()) {
    std::printf("  (waimai reviews not found under ../shared/datasets; skipped)\n");
  } else {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto rows = keel::ingest::ParseCsv(ss.str()).value();
    std::vector<std::string> reviews;
    std::vector<Classifier::Example> wex;
    for (size_t i = 1; i < rows.size(); ++i) {
      if (rows[i].size() < 2 || rows[i][1].empty()) continue;
      reviews.push_back(rows[i][1]);
      if (i % 5) wex.push_back({{rows[i][0] == "1" ? "pos" : "neg"}, ClassifierInput(Segment(rows[i][1]))});
    }
    CorpusStats wstats;
    for (const auto& r : reviews) wstats.Add(Segment(r));
    auto wmodel = Classifier::Train(wex, Classifier::Options{}).value();
    Rates w = Measure(reviews, wmodel.get(), wstats);
    std::snprintf(label, sizeof label, "waimai reviews (%zu): full analysis, lexicon", reviews.size());
    Row(label, w.full_lexicon, "texts/s", "ICU segmentation alone", w.segment);
    Row("waimai reviews: full analysis, fastText sentiment", w.full_model, "texts/s", "ICU segmentation alone", w.segment);
  }

  // The service path: analyses stored with their corpus statistics.
  keel::text::TextOptions to;
  to.periodic = false;
  keel::text::TextService text(*db, rs, clock, to);
  auto b0 = Clock::now();
  int64_t analysed = text.Backfill(demo.tenant_id, clock.NowMs() - 35LL * 86400000).value();
  double backfill_rate = static_cast<double>(analysed) / Seconds(b0);
  Row("service: analyse + store (Backfill)", backfill_rate, "texts/s", "ICU segmentation alone", d.segment);

  // The recap of the busiest unit-day, made again and again (everything analysed already).
  std::vector<double> recap_ms, sql_ms;
  for (int i = 0; i < 20; ++i) {
    auto t = Clock::now();
    auto r = text.MakeRecap(demo.tenant_id, "unit", demo.stockout_unit, demo.last_day);
    recap_ms.push_back(Seconds(t) * 1000);
    if (!r.ok()) {
      std::printf("recap failed: %s\n", r.status().ToString().c_str());
      return 1;
    }
    auto q0 = Clock::now();
    auto conn = std::move(db->Acquire()).value();
    keel::store::Value q[] = {demo.tenant_id, demo.last_day + "T00:00:00+08:00", demo.tenant_id, demo.stockout_unit};
    auto rows = conn->Query("SELECT id, notes, owner_id, customer_id FROM activities WHERE tenant_id = ? AND notes IS NOT NULL AND "
                            "occurred_at >= ? AND unit_id IN (SELECT c.id FROM units c JOIN units p ON p.tenant_id = c.tenant_id AND "
                            "c.path LIKE p.path || '%' WHERE c.tenant_id = ? AND p.id = ?)", q);
    sql_ms.push_back(Seconds(q0) * 1000);
    if (!rows.ok()) return 1;
  }
  Row("daily recap of a unit-day, p50 (ms)", Percentile(recap_ms, 0.5), "ms", "SQL read of its notes, p50", Percentile(sql_ms, 0.5), true);
  Row("daily recap of a unit-day, p99 (ms)", Percentile(recap_ms, 0.99), "ms", "SQL read of its notes, p99", Percentile(sql_ms, 0.99), true);
  return 0;
}
