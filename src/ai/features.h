// The features the lead and deal models learn from, declared in one place (kLeadFeatures,
// kOpportunityFeatures in features.cc: name, kind, zh/en description and the phrase a reason
// reads as), computed AS OF a prediction time from the records and the event log — nothing that
// happened at or after that time is seen, so training snapshots cannot leak their outcome.
// docs/ai.md lists them; kFeatureVersion is stored with every model.
// JSON here is stored, not served: a FeatureSpec is written next to each model version
// (ToJson/FromJson), and records' custom values are the records' own JSON documents.
#pragma once

#include <map>
#include <memory>
#include <unordered_map>
#include <string>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace keel::ai {

inline constexpr int kFeatureVersion = 2;

enum class Target { kLead, kOpportunity };
const char* TargetName(Target t);           // "lead", "opportunity"
bool ParseTarget(std::string_view s, Target* out);

// One declared feature. Categorical features become one column per level.
struct FeatureDef {
  std::string name;
  bool categorical = false;
  std::string en;          // description
  std::string zh;
  std::string phrase_en;   // "{v} visits in the last 30 days"; {v} is the value
  std::string phrase_zh;   // "近30天拜访{v}次"
  std::string missing_en;  // the phrase when the value is unknown at that time ("" = not shown)
  std::string missing_zh;
  std::string unit;        // how {v} is formatted: "int", "1dp", "pct", "money", "text", "yesno"
};
// The declared (built-in) features of a target; a model's spec adds the tenant's custom fields.
const std::vector<FeatureDef>& FeatureDefs(Target t);

// Raw values of one record at one time: a number (NaN = unknown) or a text per feature.
struct RawFeatures {
  std::vector<double> num;
  std::vector<std::string> text;
};

// A tenant custom field used as a feature (domain/custom_fields): a field of the record itself
// ("custom.<name>") or, for deals, of the deal's customer ("customer.custom.<name>"). Numbers,
// money and bools are numeric, enums categorical, dates the days from the prediction time to
// the date. Values are taken as they stood at the prediction time (audit trail).
struct CustomFeature {
  std::string entity;  // "leads", "opportunities" or "customers"
  std::string name, type, label, label_en;
  std::vector<std::string> values;  // enum

  std::string FeatureName(Target t) const;
  FeatureDef Def(Target t) const;
};
// The tenant's custom fields a model of `t` can learn from (active, ai_feature, a usable type).
Result<std::vector<CustomFeature>> LoadCustomFeatures(store::Connection& conn, int64_t tenant, Target t);

// The columns a model was trained on: the built-in features of its version, the custom fields
// it learnt from, and the levels of each categorical feature.
struct FeatureSpec {
  Target target = Target::kLead;
  int version = kFeatureVersion;
  std::vector<CustomFeature> custom;             // after the built-in features, in this order
  std::vector<std::vector<std::string>> levels;  // per feature (empty for numbers)
  std::vector<std::unordered_map<std::string, size_t>> level_index;  // built by Index()

  void Index();  // after `levels` or `custom` changed
  // Every feature: the built-in ones, then one per custom field. Valid after Index().
  const std::vector<FeatureDef>& defs() const { return defs_; }

  size_t columns() const;
  // Feature index of each column.
  std::vector<int> column_feature() const;
  void Encode(const RawFeatures& f, float* row) const;
  // Encodes rows[0..n) into out (n × columns(), row-major); large batches on every core.
  void EncodeBatch(const RawFeatures* const* rows, size_t n, float* out) const;
  nlohmann::json ToJson() const;
  static Result<FeatureSpec> FromJson(const nlohmann::json& j);

 private:
  std::vector<FeatureDef> defs_;
};

// Owners' past outcomes (resolution time, success), for the owner-rate features. Loading them
// reads every resolved record of the tenant, so the scorer keeps them for a while.
struct OwnerOutcomes {
  std::map<int64_t, std::vector<std::pair<TimeMs, bool>>> by_owner;  // sorted by time
  std::vector<std::pair<TimeMs, bool>> all;                          // sorted by time
  static Result<std::shared_ptr<const OwnerOutcomes>> Load(store::Connection& conn, int64_t tenant, Target target);
};

// A labelled snapshot for training.
struct Example {
  int64_t id = 0;
  TimeMs at = 0, resolved = 0;
  RawFeatures f;
  float label = 0, weight = 1;
};

// Everything the features of one tenant's leads or deals are computed from, loaded in a few
// queries (optionally only for some records). Not thread-safe; build, use, drop.
class History {
 public:
  // `ids` empty: every record of the target. Owner success rates always use all records.
  // `owners` (for a filtered load): the tenant's owner outcomes when the caller has them cached.
  // `custom`: the custom-field features to compute (a model's spec.custom); null: the tenant's
  // current ones (for training).
  static Result<History> Load(store::Connection& conn, int64_t tenant, Target target, const std::vector<int64_t>& ids = {},
                              std::shared_ptr<const OwnerOutcomes> owners = nullptr,
                              const std::vector<CustomFeature>* custom = nullptr);
  const std::vector<CustomFeature>& custom() const { return custom_; }

  // Resolved records (converted/disqualified leads, won/lost deals) as snapshots taken at set
  // ages and at 1, 5 and 14 days before their resolution, each weighted 1/snapshots so every record counts once.
  std::vector<Example> TrainingExamples() const;
  // Features of record `id` at `t`; false when the record is unknown.
  bool At(int64_t id, TimeMs t, RawFeatures* out) const;
  // Records still open (leads not converted/disqualified, deals not won/lost), not archived.
  std::vector<int64_t> OpenIds() const;
  // Owner of a record (0 when unknown), and its amount in yuan (deals; 0 for leads).
  int64_t OwnerOf(int64_t id) const;
  double AmountOf(int64_t id) const;

  struct Activity {
    TimeMs at = 0;
    std::string kind, outcome;
    int64_t duration = 0;
  };
  struct Record {
    int64_t id = 0, owner = 0, unit = 0, customer = 0;
    TimeMs created = 0, resolved = 0, first_response = 0;
    bool success = false, archived = false;
    std::string source, channel, region, category, segment, industry, company, stage;
    double amount = 0;
    TimeMs expected_close = 0;                              // current value
    std::vector<std::pair<TimeMs, TimeMs>> close_changes;   // (when, previous value) — oldest first
    std::vector<std::pair<TimeMs, std::string>> stages;     // (entered, stage) — oldest first
    std::vector<std::pair<TimeMs, double>> amounts;          // (when, amount in yuan) from stage history
    std::vector<Activity> activities;                       // sorted by time
    double discount_pct = NAN;                              // current value (deals)
    std::vector<std::pair<TimeMs, double>> discount_changes;  // (when, previous value) — oldest first
    nlohmann::json custom = nlohmann::json::object();       // current custom values
    std::vector<std::pair<TimeMs, nlohmann::json>> custom_changes;  // (when, previous object) — oldest first
  };
  struct Signal {
    TimeMs at = 0;
    double sentiment = 0;
  };

 private:
  // Deals only: signals about their customers, the customers' orders and (with `custom_fields`)
  // custom values; `filtered`: only the loaded records' customers.
  Status LoadCustomers(store::Connection& conn, int64_t tenant, bool filtered, bool custom_fields);
  double OwnerRate(int64_t owner, TimeMs t) const;
  void LeadFeatures(const Record& r, TimeMs t, RawFeatures* out) const;
  void DealFeatures(const Record& r, TimeMs t, RawFeatures* out) const;
  void CustomFeatures(const Record& r, TimeMs t, RawFeatures* out) const;

  Target target_ = Target::kLead;
  std::map<int64_t, Record> records_;
  std::shared_ptr<const OwnerOutcomes> owners_;
  std::map<int64_t, std::vector<Signal>> signals_;                         // by customer, sorted
  struct Purchase {
    TimeMs at = 0;
    double total = 0, discount = 0;  // yuan
  };
  std::map<int64_t, std::vector<Purchase>> purchases_;  // paid orders by customer, sorted
  std::vector<CustomFeature> custom_;
  struct CustomerCustom {
    nlohmann::json current = nlohmann::json::object();
    std::vector<std::pair<TimeMs, nlohmann::json>> changes;  // (when, previous object)
  };
  std::map<int64_t, CustomerCustom> customer_custom_;  // deals' customers
};

// Learns the levels of categorical features from training examples: the schema's values for
// enums (and a custom enum's defined values), otherwise the most frequent values (≥ 10 rows,
// at most 30).
FeatureSpec FitSpec(Target t, const std::vector<Example>& examples, const std::vector<CustomFeature>& custom = {});

// The Chinese name of an enum value shown to people ("referral" → "转介绍"); the value itself
// when there is none.
std::string ZhValue(const std::string& v);

// The value of feature `f` of `spec` as the phrase of a reason, in "zh" or "en"; "" when not shown.
std::string Phrase(const FeatureSpec& spec, size_t f, const RawFeatures& raw, const std::string& lang);

}  // namespace keel::ai
