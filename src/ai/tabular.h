// A foreign table (CSV of historical leads or deals exported from another system) turned into
// a conversion model: columns profiled and typed, a label and the columns to leave out chosen
// (e.g. one only known after the outcome), categorical columns one-hot encoded, an XGBoost
// model cross-validated (stratified folds) and checked on a holdout (the last rows by a time
// column, or by file order), then trained on everything. Pure: no database.
// JSON here is a document: the mapping a user writes (ParseMapping reports errors at its
// fields), and the profile, encoder and card stored with the dataset and the model.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ai/xgb.h"
#include "common/status.h"

namespace keel::ai {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> lines;  // CSV line of each row
  // What reading the file took, for the profile: the bytes' encoding, the header's columns
  // without a name and without a value that were dropped (1-based positions), and the names
  // given to unnamed columns with values and to repeated names.
  std::string encoding = "UTF-8";
  std::vector<size_t> dropped;
  struct Renamed {
    size_t column;  // 1-based
    std::string from, to;
  };
  std::vector<Renamed> renamed;
  nlohmann::json FileJson() const;  // {encoding, dropped_columns, renamed_columns}
};

// Reads CSV text (`,` `;` or tab, detected; RFC 4180 quotes; GB18030/GBK or UTF-16 converted).
// Exports often end every line with a delimiter: a header column without a name whose rows are
// all empty is dropped (and rows may then lack it); an unnamed column with values is called
// "column_N"; a repeated name gets "_2", "_3". Errors name the line: a row with a different
// number of fields ("csv.columns"), bad quoting or encoding, no data rows.
Result<Table> ReadTable(std::string_view csv);

enum class ColumnType { kNumber, kCategory, kText, kConstant };
const char* ColumnTypeName(ColumnType t);
bool ParseColumnType(std::string_view s, ColumnType* out);

struct ColumnProfile {
  std::string name;
  ColumnType type = ColumnType::kCategory;
  int64_t missing = 0, distinct = 0;
  double min = 0, max = 0;                 // numbers
  std::vector<std::pair<std::string, int64_t>> top;  // the most frequent values
  // Why the column looks like a record identifier, left out by default ("" if it does not):
  // "sequential" (whole numbers, one per row, dense or in file order), "unique" (a different
  // value in every row), "uuid" (UUID-like or long hexadecimal keys), "id_name" (a unique whole
  // number in a column named like an id).
  std::string identifier;
  nlohmann::json ToJson() const;
};
// Types are detected: number when ≥ 98 % of the present values are numbers; category when few
// distinct values; text (free text or identifiers, left out by default) otherwise. Missing:
// empty, NA, N/A, null, ? (a literal "unknown" stays a category level: it is often telling).
std::vector<ColumnProfile> Profile(const Table& t);
// A person's words for a column left out of the features by default, in English and Chinese
// (identifiers, free text, constants); empty for a column that is used.
std::pair<std::string, std::string> LeftOutReason(const ColumnProfile& c);

struct Mapping {
  std::string label;                        // required
  std::string positive;                     // the label value that means success; detected when empty
  std::vector<std::string> exclude;         // columns never used as features
  std::map<std::string, ColumnType> types;  // overrides of the detected types
  std::string time_column;                  // orders the holdout; file order when empty
  int folds = 5;
  double holdout = 0.2;                     // share of rows (the latest) kept for the holdout
};
// Reads {"label", "positive", "exclude": [...], "types": {col: type}, "time_column", "folds",
// "holdout"}; errors name the field.
Result<Mapping> ParseMapping(const nlohmann::json& j, const Table& t);

// Feature encoding learned from the training rows.
struct Encoder {
  struct Column {
    std::string name;
    int source = -1;                  // index in the table
    ColumnType type = ColumnType::kNumber;
    std::vector<std::string> levels;  // one feature per level (categories)
  };
  std::vector<Column> columns;
  std::vector<std::string> feature_names;  // "age", "job=admin.", …

  static Encoder Fit(const Table& t, const std::vector<ColumnProfile>& profile, const Mapping& m,
                     const std::vector<size_t>& rows);
  Matrix Encode(const Table& t, const std::vector<size_t>& rows) const;
  // Rows given as one value per column of the encoder, in its order (a stored model scoring
  // rows that come from elsewhere: a prediction request, a record's features).
  Matrix EncodeValues(const std::vector<std::vector<std::string>>& values) const;
  void EncodeRow(const std::vector<std::string>& values, float* out) const;  // feature_names.size() floats
  // Column (index into `columns`) of each feature.
  std::vector<size_t> FeatureColumns() const;
  nlohmann::json ToJson() const;
  // An encoder stored with ToJson; the columns' sources become their positions.
  static Result<Encoder> FromJson(const nlohmann::json& j);
};

struct TabularModel {
  Encoder encoder;
  Booster booster;
  nlohmann::json card;  // data, label, features, cv and holdout metrics, importance
};

// A row's reasons from its SHAP contributions (cols + 1, the last the bias), one per encoder
// column (a category's levels add up), in points that add up to score − base (explain.h).
// `names`: each column's name as a person reads it (zh, en).
nlohmann::json ExplainRow(const Encoder& enc, const float* contrib, const std::vector<std::string>& values, double p,
                          const std::vector<std::pair<std::string, std::string>>& names);

// Progress: (done, total, what) — folds, holdout, final fit.
using TabularProgress = std::function<void(int, int, const std::string&)>;

// Errors: "ai.label" (missing label column, one class only, > 2 values without `positive`),
// "ai.not_enough_data" (fewer than `min_per_class` rows of either class).
Result<TabularModel> TrainTabular(const Table& t, const Mapping& m, const TrainParams& params,
                                  int64_t min_per_class = 100, const TabularProgress& progress = {});

}  // namespace keel::ai
