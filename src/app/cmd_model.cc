// `keel model train` (a tenant's lead or deal model, now) and `keel model csv` (a foreign table's
// profile, cross-validated model and card; no database).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include <nlohmann/json.hpp>

#include "ai/service.h"
#include "ai/tabular.h"
#include "app/commands.h"
#include "app/runtime.h"

namespace keel::app {

namespace {

// `keel model csv`: a foreign table → profile, cross-validated model, card. No database.
int TrainCsv(const std::string& file, const std::string& label, const std::string& positive, const std::vector<std::string>& exclude,
             const std::string& time_column, int folds, bool as_json) {
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto table = ai::ReadTable(text);
  if (!table.ok()) return Fail(table.status());
  // With --json, standard output is exactly one JSON document (the card): the profile is in it
  // and the progress goes to standard error.
  std::FILE* report = as_json ? stderr : stdout;
  auto profile = ai::Profile(*table);
  std::fprintf(report, "%zu rows, %zu columns (%s):\n", table->rows.size(), table->header.size(), table->encoding.c_str());
  for (size_t c : table->dropped) std::fprintf(report, "  column %zu: no name and no value, dropped\n", c);
  for (const auto& r : table->renamed) {
    std::fprintf(report, "  column %zu: '%s' renamed '%s'\n", r.column, r.from.c_str(), r.to.c_str());
  }
  for (const auto& col : profile) {
    std::fprintf(report, "  %-18s %-9s %6lld distinct %6lld missing", col.name.c_str(), ai::ColumnTypeName(col.type),
                 static_cast<long long>(col.distinct), static_cast<long long>(col.missing));
    if (!col.top.empty()) std::fprintf(report, "   e.g. %s", col.top[0].first.c_str());
    if (!col.identifier.empty()) std::fprintf(report, "   identifier (%s): left out", col.identifier.c_str());
    std::fprintf(report, "\n");
  }
  nlohmann::json mapping = {{"label", label}, {"exclude", exclude}, {"folds", folds}};
  if (!positive.empty()) mapping["positive"] = positive;
  if (!time_column.empty()) mapping["time_column"] = time_column;
  auto m = ai::ParseMapping(mapping, *table);
  if (!m.ok()) return Fail(m.status());
  auto model = ai::TrainTabular(*table, *m, ai::TrainParams{}, 100, [](int done, int total, const std::string& what) {
    std::fprintf(stderr, "%3d%%  %s\n", 100 * done / total, what.c_str());
  });
  if (!model.ok()) return Fail(model.status());
  nlohmann::json card = model->card;
  if (as_json) {
    nlohmann::json columns = nlohmann::json::array();
    for (const auto& col : profile) columns.push_back(col.ToJson());
    card["profile"] = columns;
    std::printf("%s\n", card.dump(1).c_str());
    return 0;
  }
  const auto& cv = card["cross_validation"];
  std::printf("label %s = '%s': %d positive, %d negative; %zu features\n", label.c_str(),
              card["label"]["positive"].get<std::string>().c_str(), card["label"]["positives"].get<int>(),
              card["label"]["negatives"].get<int>(), model->encoder.feature_names.size());
  std::printf("cross-validated AUC %.4f (%d folds: %.4f ± %.4f), log loss %.4f, Brier %.4f\n", cv["auc"].get<double>(),
              cv["folds"].get<int>(), cv["auc_mean"].get<double>(), cv["auc_sd"].get<double>(), cv["log_loss"].get<double>(),
              cv["brier"].get<double>());
  if (!card["holdout"].is_null()) {
    std::printf("holdout AUC %.4f on %d rows (%s)\n", card["holdout"]["auc"].get<double>(), card["holdout"]["rows"].get<int>(),
                card["holdout"]["split"].get<std::string>().c_str());
  }
  std::printf("top features:\n");
  for (const auto& f : card["importance"]) {
    std::printf("  %-28s %5.1f%%\n", f["feature"].get<std::string>().c_str(), f["share"].get<double>() * 100);
  }
  for (const auto& w : card["warnings"]) std::printf("warning: %s\n", w["message"].get<std::string>().c_str());
  if (!card["suspects"].empty()) {
    std::string names;
    for (const auto& c : card["suspects"]) names += (names.empty() ? "" : ",") + c.get<std::string>();
    std::printf("to leave the suspects out, run again with --exclude %s\n", names.c_str());
  }
  return 0;
}

struct TrainArgs {
  std::string tenant, kind;
};

int TrainTenant(Config& c, const TrainArgs& a) {
  auto opened = OpenStore(c, c.sqlite_synchronous, *Clock::System());
  if (!opened.ok()) return Fail(opened.status());
  Store& s = *opened;
  const std::string& m_tenant = a.tenant;
  const std::string& m_kind = a.kind;
  auto tid = s.auth->TenantIdByCode(m_tenant);
  if (!tid.ok()) return Fail(tid.status());
  ai::Target target;
  ai::ParseTarget(m_kind, &target);
  ai::AiService service(*s.db, *s.records, *Clock::System());
  int last = -1;
  auto m = service.Train(*tid, target, 0, [&](double f, const std::string& what) {
    int pct = static_cast<int>(f * 100);
    if (pct / 10 == last / 10 && f < 1.0) return;
    last = pct;
    std::printf("%3d%%  %s\n", pct, what.c_str());
    std::fflush(stdout);
  });
  if (!m.ok()) return Fail(m.status());
  const auto& card = m->card;
  std::printf("%s model v%d %s: holdout AUC %.3f, log loss %.3f, Brier %.3f on %d snapshots; %lld open records scored\n",
              m_kind.c_str(), m->version, m->status.c_str(), card["holdout"]["auc"].get<double>(),
              card["holdout"]["log_loss"].get<double>(), card["holdout"]["brier"].get<double>(), card["holdout"]["rows"].get<int>(),
              static_cast<long long>(m->scored));
  std::printf("top features:\n");
  for (size_t i = 0; i < card["importance"].size() && i < 8; ++i) {
    const auto& f = card["importance"][i];
    std::printf("  %-24s %5.1f%%  %s\n", f["feature"].get<std::string>().c_str(), f["share"].get<double>() * 100,
                f["zh"].get<std::string>().c_str());
  }
  return 0;
}

struct CsvArgs {
  std::string file, label, positive, time;
  std::vector<std::string> exclude;
  int folds = 5;
  bool json = false;
};

}  // namespace

void AddModelCommands(CLI::App& app, Config& c, Commands& out) {
  auto* model = app.add_subcommand("model", "Train and inspect AI models (lead conversion, deal win, foreign CSV tables)");
  model->require_subcommand(1);
  auto t = std::make_shared<TrainArgs>();
  auto* model_train = model->add_subcommand("train", "Train a tenant's lead or deal model now (promoted only if not worse)");
  AddCommon(model_train, c);
  model_train->add_option("--tenant", t->tenant, "tenant code")->required();
  model_train->add_option("--kind", t->kind, "lead or opportunity")->required()->check(CLI::IsMember({"lead", "opportunity"}));
  out.push_back({model_train, [&c, t] { return TrainTenant(c, *t); }});
  auto a = std::make_shared<CsvArgs>();
  auto* model_csv = model->add_subcommand("csv", "Train on a CSV of historical records from another system and print the model card");
  model_csv->add_option("--file", a->file, "the CSV file (UTF-8; `,` `;` or tab)")->required()->check(CLI::ExistingFile);
  model_csv->add_option("--label", a->label, "the outcome column")->required();
  model_csv->add_option("--positive", a->positive, "the label value meaning success (detected when absent)");
  model_csv->add_option("--exclude", a->exclude, "columns to leave out (e.g. one only known after the outcome)")->delimiter(',');
  model_csv->add_option("--time-column", a->time, "orders the holdout (default: file order)");
  model_csv->add_option("--folds", a->folds, "cross-validation folds")->capture_default_str()->check(CLI::Range(2, 20));
  model_csv->add_flag("--json", a->json, "print the whole model card as JSON");
  out.push_back({model_csv, [a] { return TrainCsv(a->file, a->label, a->positive, a->exclude, a->time, a->folds, a->json); }});
}

}  // namespace keel::app
