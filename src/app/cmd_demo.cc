// `keel demo`: the demo company (海川电器) generated into the database, with its metrics, alert
// rules, trained models, analysed notes, recaps, units' budgets, quotes and accounts.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <unistd.h>

#include "app/commands.h"
#include "app/runtime.h"
#include "common/yaml.h"
#include "demo/demo.h"

namespace keel::app {

namespace {

// Alert rules the demo tenant starts with (docs/alerts.md explains them).
constexpr const char* kDemoAlertRules = R"YAML(
- name: living_off_old_customers
  label: {zh: 吃老本：业绩达标但客户覆盖低, en: "Living off old customers: on target, low coverage"}
  metric: customer_coverage
  group_by: [unit]
  window: 4w
  every: 5m
  tiers:
    - {severity: warning, when: "COMPLETION('revenue') >= 0.7 AND value < 0.025"}
    - {severity: critical, when: "COMPLETION('revenue') >= 0.7 AND value < 0.02", for: 10m}
  recover_when: "value >= 0.035"
  route: [{notify: unit_lead}, {wait: 4h}, {notify: hq}]
  create_task: true
- name: unit_sales_stalled
  label: {zh: 战队今日销售停滞, en: Unit sales stalled today}
  metric: revenue
  group_by: [unit]
  window: 2h
  every: 1m
  no_data: keep
  tiers:
    - {severity: warning, when: "ZSCORE(2h) < -3"}
  recover_when: "ZSCORE(2h) > -1"
  route: [{notify: unit_lead}]
- name: win_rate_falling
  label: {zh: 赢单率下滑, en: Win rate falling}
  metric: win_rate
  group_by: [unit]
  window: 4w
  every: 10m
  no_data: keep
  tiers:
    - {severity: info, when: "CHANGE_PCT(4w) < -30"}
  route: [{notify: unit_lead}]
)YAML";


// `keel demo --live`: the generator wrote with durability off; serve from a fresh process.
int ServeLive(const std::string& database, const std::string& tenant) {
  std::fflush(stdout);
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> args = {self, "serve", "--database", database, "--live-demo", tenant};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execv(self.c_str(), argv.data());
  std::fprintf(stderr, "cannot start the server: %s\n", std::strerror(errno));
  return 1;
}

struct DemoArgs {
  demo::DemoOptions opt;
  bool if_absent = false;
  bool live = false;
};

int Demo(Config& c, DemoArgs& a) {
  // A demo with an explicit end date is generated on a clock that starts the morning after it,
  // so that every service's "today" agrees with the history; an end date is never in the future.
  Clock* clock = Clock::System();
  std::unique_ptr<AnchoredClock> demo_clock;
  if (!a.opt.end_date.empty()) {
    auto morning = demo::MorningAfter(a.opt.end_date);
    if (!morning.ok()) return Fail(morning.status());
    if (*morning - 9 * 3600000LL > clock->NowMs()) {
      return Fail(Status::Invalid("demo.end_date", "--end-date " + a.opt.end_date + " is in the future: the history must end before today",
                                  "--end-date " + a.opt.end_date + " 晚于今天：演示历史须在今天之前结束", "end_date"));
    }
    demo_clock = std::make_unique<AnchoredClock>(*morning);
    clock = demo_clock.get();
  }
  auto opened = OpenStore(c, "OFF", *clock);
  if (!opened.ok()) return Fail(opened.status());
  Store& s = *opened;
  if (a.opt.password.empty()) a.opt.password = ReadPassword("", "KEEL_DEMO_PASSWORD");
  if (a.if_absent && s.auth->TenantIdByCode(a.opt.tenant_code).ok()) {
    std::printf("demo tenant '%s' already exists in %s; nothing to do\n",
                a.opt.tenant_code.c_str(), s.db->Describe().c_str());
    if (a.live) return ServeLive(c.database, a.opt.tenant_code);
    return 0;
  }
  auto r = demo::Generate(*s.db, *s.records, *s.auth, a.opt);
  if (!r.ok()) return Fail(r.status());
  // The engines, built once on the demo's clock and not started: each step below runs here.
  Runtime rt(s, *clock, {.periodic = false});
  {
    // The demo's alert rules, in the same YAML a tenant would write (docs/alerts.md).
    auto rules = JsonDocumentsFromYaml(kDemoAlertRules);
    if (!rules.ok()) return Fail(rules.status());
    auto sys = domain::Principal::System(r->tenant_id);
    for (const auto& rule : *rules) {
      auto saved = rt.alerts.SaveRule(sys, rule);
      if (!saved.ok()) return Fail(saved.status());
    }
    auto st = rt.metrics.CatchUp(r->tenant_id);
    if (!st.ok()) return Fail(st);
    std::printf("metrics backfilled and %zu alert rules defined\n", rules->size());
  }
  {
    // Both AI models, trained on the generated history; every open lead and deal is scored.
    for (auto target : {ai::Target::kLead, ai::Target::kOpportunity}) {
      auto m = rt.ai.Train(r->tenant_id, target);
      if (!m.ok()) return Fail(m.status());
      std::printf("%s model v%d trained: holdout AUC %.3f, %lld open records scored\n", ai::TargetName(target),
                  m->version, m->holdout_auc.get<double>(), static_cast<long long>(m->scored));
    }
    auto planned = rt.ai.PlanActions(r->tenant_id);
    if (!planned.ok()) return Fail(planned.status());
    int tasks = 0;
    for (const auto& [rule, c] : *planned) tasks += c.created;
    std::printf("next best actions: %d tasks with reasons created\n", tasks);
  }
  {
    // Text: the last five weeks of notes and all feedback analysed (the sentiment model is
    // trained from the rated feedback first), and yesterday's recap for every sales unit.
    auto since = clock->NowMs() - 35LL * 86400000;
    auto n = rt.text.Backfill(r->tenant_id, since);
    if (!n.ok()) return Fail(n.status());
    auto sys = domain::Principal::System(r->tenant_id);
    auto model = rt.text.SentimentModel(sys);
    std::printf("text: %lld notes and feedback analysed; sentiment model %s\n", static_cast<long long>(*n),
                model.ok() ? model->model.c_str() : "?");
    auto recaps = rt.text.RecapsForDay(r->tenant_id, r->last_day);
    if (!recaps.ok()) return Fail(recaps.status());
    std::printf("text: %lld daily recaps for %s\n", static_cast<long long>(*recaps), r->last_day.c_str());
  }
  {
    // Units: pricing authority (HQ 5 %; every sales unit's reps 8 %, 12 % on ACs from 50,000
    // yuan; unit leads 15 %), and three quotes by sh-rep-01 — one within authority (approved on
    // the spot), one beyond it (waiting for 上海战队's lead), one deeper (lead, then HQ).
    auto seeded = demo::SeedUnits(*s.db, *s.records, rt.org.commerce, r->tenant_id);
    if (!seeded.ok()) return Fail(seeded.status());
    std::printf("units: %d budgets for this quarter\n", seeded->budgets);
    std::printf("units: %d materials, %d case reviews\n", seeded->materials, seeded->case_reviews);
    for (const auto& [unit, path] : seeded->feedback_links) std::printf("feedback link (%s): %s\n", unit.c_str(), path.c_str());
    for (const auto& q : seeded->quotes) {
      std::printf("quote %s (%s, %.0f%% off): %s\n", q.code.c_str(), q.name.c_str(), q.discount_pct, q.status.c_str());
    }
    // Unit accounting: expense claims through policy, budget and boundary; the ledger of the last
    // four months; profit-sharing statements for last month.
    auto accounts = demo::SeedAccounting(*s.db, *s.records, rt.org.approvals, rt.org.budgets, rt.org.ledger, rt.org.sharing, rt.org.expenses,
                                               &rt.org.governance, r->tenant_id);
    if (!accounts.ok()) return Fail(accounts.status());
    std::printf("accounting: %d expense claims (%d approved within the units' authority, %d waiting for approval, %d posted); "
                "ledger posted for %zu months; %lld profit-sharing statements (last month %s)\n",
                accounts->claims, accounts->approved_at_once, accounts->pending, accounts->posted, accounts->months.size(),
                static_cast<long long>(accounts->statements), accounts->last_month.c_str());
  }
  std::printf("\nDemo tenant '%s' (海川电器 Haichuan Appliances) generated in %.1f s:\n",
              a.opt.tenant_code.c_str(), r->seconds);
  for (const auto& [k, v] : r->counts) std::printf("  %-14s %lld\n", k.c_str(), static_cast<long long>(v));
  std::printf("\nLogins (tenant '%s'; every demo user has the same password):\n", a.opt.tenant_code.c_str());
  for (const auto& [u, role] : r->logins) std::printf("  %-14s %s\n", u.c_str(), role.c_str());
  std::printf("\nPassword: %s\n", r->password.c_str());
  std::printf("(shown once; reset with: keel user password --tenant %s --username admin)\n",
              a.opt.tenant_code.c_str());
  if (a.live) return ServeLive(c.database, a.opt.tenant_code);
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App& app, Config& c, Commands& out) {
  auto a = std::make_shared<DemoArgs>();
  auto* demo = app.add_subcommand("demo", "Generate the demo company (海川电器) into the database");
  AddCommon(demo, c);
  demo->add_option("--seed", a->opt.seed, "random seed (same seed and end date → same data)")->capture_default_str();
  demo->add_option("--scale", a->opt.scale, "size multiplier (10 for benchmarks)")->capture_default_str()->check(CLI::Range(1, 100));
  demo->add_option("--end-date", a->opt.end_date, "last day of history YYYY-MM-DD (default: yesterday)");
  demo->add_option("--tenant", a->opt.tenant_code, "tenant code")->capture_default_str();
  demo->add_option("--password", a->opt.password, "password of the demo logins (env KEEL_DEMO_PASSWORD; default: random, printed once)");
  demo->add_flag("--if-absent", a->if_absent, "do nothing when the tenant already exists");
  demo->add_flag("--live", a->live, "then serve, with a simulator feeding live sales, visits and deal moves");
  out.push_back({demo, [&c, a] { return Demo(c, *a); }});
}

}  // namespace keel::app
