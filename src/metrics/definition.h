// Metric definitions (指标定义): what to count, over which facts, by which dimensions. Written by
// business people as YAML or JSON (DESIGN §6), validated when saved — formulas are type-checked
// against the source's fields and every error points at its field or formula position — and
// versioned (a change makes a new version, backfilled from the event log).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "common/tz.h"
#include "formula/formula.h"

namespace keel::metrics {
// JSON stays here: a definition is a document the user writes and is stored as written.
using json = nlohmann::json;

enum class Kind { kSimple, kRatio, kDerived, kCumulative };
enum class Agg { kCount, kCountDistinct, kSum, kAvg, kMin, kMax };

const char* KindName(Kind k);
const char* AggName(Agg a);

// The most dimensions one metric keeps per cell.
constexpr size_t kMaxDims = 6;

struct MetricDef {
  std::string name;  // [a-z][a-z0-9_]*, unique per tenant
  int version = 1;
  Kind kind = Kind::kSimple;
  std::string label_zh, label_en, description;
  std::string unit;  // yuan | count | ratio | percent | minutes | … (display only)
  // simple
  std::string source;  // a source from Sources(), or a tenant's custom event type
  Agg agg = Agg::kCount;
  std::string value;   // formula: the summed/averaged value, or the distinct key
  std::string filter;  // formula (boolean); empty = every fact
  std::vector<std::string> dimensions;  // canonical names (rep, unit, region, store, …)
  // ratio
  std::string numerator, denominator;
  // derived: `expr` over the values of `inputs` (metric names used as fields)
  std::string expr;
  std::vector<std::string> inputs;
  // cumulative: `input` summed from the start of the period holding each point
  std::string input;
  Grain to_date = Grain::kYear;  // month | quarter | year; kMinute stands for "all time"
  bool all_time = false;
  // completion against targets: the `metric` column of the targets table
  std::string target;
  int64_t owner_id = 0;
  bool builtin = false;

  json ToJson() const;
};

// A field of a source, as formulas see it.
struct SourceField {
  std::string name;
  formula::Type type;
  std::string zh, en;
};

// A kind of fact metrics count: built in (order, order_line, activity, lead, lead_response,
// opportunity, stage_change, customer, signal) or a tenant's custom event type.
struct SourceInfo {
  std::string name;
  std::string event_type;  // the event log type it reads, e.g. "order.created"
  std::string zh, en;
  std::vector<SourceField> fields;
  std::vector<std::string> dimensions;  // fields usable as dimensions (+ region when unit_id is)
  bool custom = false;
};

const std::vector<SourceInfo>& BuiltinSources();

// Looks up other metrics while validating ratio/derived/cumulative definitions.
class DefinitionLookup {
 public:
  virtual ~DefinitionLookup() = default;
  virtual const MetricDef* FindMetric(const std::string& name) const = 0;
  virtual const SourceInfo* FindSource(const std::string& name) const = 0;
};

// Parses and validates a definition (from JSON, or JSON converted from YAML). Errors:
// "metric.invalid" with the field ("filter@14" for a formula position, "dimensions[2]", …),
// "metric.unknown_source", "metric.unknown_input", "metric.cycle".
Result<MetricDef> ParseDefinition(const json& body, const DefinitionLookup& lookup);

// The dimensions a metric can be grouped and filtered by (a ratio/derived metric: those all
// its inputs share). Includes "region" when "unit" is kept.
std::vector<std::string> QueryableDimensions(const MetricDef& def, const DefinitionLookup& lookup);

// The metric pack every tenant starts with (revenue, orders, gross margin, …), as YAML text.
const char* BuiltinPackYaml();

}  // namespace keel::metrics
