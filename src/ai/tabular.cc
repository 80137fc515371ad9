#include "ai/tabular.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>
#include <unordered_map>

#include "ai/evaluate.h"
#include "ai/explain.h"
#include "common/time.h"
#include "ingest/csv.h"

namespace keel::ai {
namespace {

using json = nlohmann::json;

bool IsMissing(const std::string& v) {
  return v.empty() || v == "NA" || v == "N/A" || v == "n/a" || v == "null" || v == "NULL" || v == "?" || v == "NaN";
}

bool ParseNumber(const std::string& v, double* out) {
  const char* b = v.data();
  const char* e = v.data() + v.size();
  while (b < e && *b == ' ') ++b;
  while (e > b && e[-1] == ' ') --e;
  if (b < e && *b == '+') ++b;
  auto r = std::from_chars(b, e, *out);
  return r.ec == std::errc() && r.ptr == e && std::isfinite(*out);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A sortable key of a time column value: a number, an ISO timestamp with a zone, or a date.
bool TimeKey(const std::string& v, double* out) {
  if (ParseNumber(v, out)) return true;
  if (auto t = ParseTimestamp(v); t.ok()) {
    *out = static_cast<double>(*t);
    return true;
  }
  if (auto d = ParseDate(v); d.ok()) {
    *out = static_cast<double>(*d) * 86400000.0;
    return true;
  }
  return false;
}

bool UuidLike(const std::string& v) {
  size_t hex = 0;
  for (char c : v) {
    if (std::isxdigit(static_cast<unsigned char>(c))) ++hex;
    else if (c != '-' && c != '{' && c != '}') return false;
  }
  return hex >= 16;
}

bool IdName(const std::string& name) {
  std::string l = Lower(name);
  auto ends = [](const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (l == "id" || l == "no" || l == "编号" || l == "序号") return true;
  if (name.size() > 2 && (ends(name, "Id") || ends(name, "ID"))) return true;  // LeadID, customerId
  for (std::string_view s : {"_id", " id", "-id", " number", "_number", " no", "_no", "编号", "单号", "号码", "流水号"}) {
    if (ends(l, s)) return true;
  }
  return false;
}

// Whether column `c` looks like a key of the row rather than a fact about it (tabular.h).
std::string IdentifierKind(const Table& t, size_t c, const ColumnProfile& p, int64_t present) {
  const auto rows = static_cast<int64_t>(t.rows.size());
  if (rows < 20 || present < rows * 95 / 100) return {};
  if (p.type == ColumnType::kNumber) {
    // Whole numbers only, each in one row.
    if (p.distinct != present) return {};
    std::vector<double> v;
    v.reserve(static_cast<size_t>(present));
    for (const auto& row : t.rows) {
      double d;
      if (IsMissing(row[c]) || !ParseNumber(row[c], &d)) continue;
      if (d != std::floor(d)) return {};
      v.push_back(d);
    }
    // Dense (the range is at most ten times the count) or in file order (ascending or
    // descending for 95 % of neighbouring rows).
    bool dense = (p.max - p.min + 1) <= 10.0 * static_cast<double>(v.size());
    size_t up = 0, down = 0;
    for (size_t i = 1; i < v.size(); ++i) (v[i] > v[i - 1] ? up : down)++;
    bool ordered = v.size() > 1 && static_cast<double>(std::max(up, down)) >= 0.95 * static_cast<double>(v.size() - 1);
    if (dense || ordered) return "sequential";
    return IdName(p.name) ? "id_name" : "";
  }
  int64_t uuid = 0;
  for (const auto& row : t.rows) uuid += !IsMissing(row[c]) && UuidLike(row[c]) ? 1 : 0;
  if (uuid >= present * 9 / 10) return "uuid";
  if (p.distinct == present) return "unique";
  return {};
}

std::string Pct(double share) { return std::to_string(static_cast<int>(std::lround(share * 100))) + "%"; }

// Signs that a column is filled in after the outcome (target leakage), each a warning that names
// its suspect columns: one feature or column carries most of the model; the cross-validated AUC
// is implausibly high for a sales outcome; a column alone nearly separates the classes; a
// column is missing mostly for one class. `rows`/`y` are the labelled rows and their labels.
json LeakageWarnings(const Table& t, const Encoder& enc, const std::vector<double>& importance, const std::vector<size_t>& rows,
                     const std::vector<float>& y, double cv_auc) {
  json warnings = json::array();
  auto warn = [&](const char* code, const std::vector<std::string>& columns, const std::string& en, const std::string& zh, json extra) {
    json w = {{"code", code}, {"columns", columns}, {"message", en}, {"message_zh", zh}};
    w.update(extra);
    warnings.push_back(std::move(w));
  };
  // Importance per feature and per column.
  std::vector<double> by_column(enc.columns.size(), 0);
  size_t f = 0, top_feature = 0;
  std::vector<size_t> column_of;
  for (size_t c = 0; c < enc.columns.size(); ++c) {
    size_t n = enc.columns[c].type == ColumnType::kNumber ? 1 : enc.columns[c].levels.size();
    for (size_t k = 0; k < n; ++k, ++f) {
      by_column[c] += importance[f];
      column_of.push_back(c);
      if (importance[f] > importance[top_feature]) top_feature = f;
    }
  }
  std::vector<size_t> order(by_column.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return by_column[a] > by_column[b]; });
  if (!importance.empty() && enc.columns.size() >= 3) {
    const double share = importance[top_feature];
    const std::string& col = enc.columns[column_of[top_feature]].name;
    // One feature may rightly lead a model; leading it to a near-perfect score, or carrying most
    // of it alone, is what a column filled in after the outcome does.
    if (share >= 0.6 || (share >= 0.3 && cv_auc >= 0.85)) {
      const std::string& feature = enc.feature_names[top_feature];
      warn("dominant_feature", {col},
           "'" + feature + "' carries " + Pct(share) + " of the model's importance: check that " + col +
               " is known before the outcome, or exclude it",
           "'" + feature + "' 占模型重要性的 " + Pct(share) + "：请确认 " + col + " 在结果出现之前就已知，否则请排除该列",
           {{"feature", feature}, {"share", std::round(share * 1000) / 1000}});
    } else if (by_column[order[0]] >= 0.6 || (by_column[order[0]] >= 0.5 && cv_auc >= 0.85)) {
      const std::string& top = enc.columns[order[0]].name;
      warn("dominant_column", {top},
           "column '" + top + "' carries " + Pct(by_column[order[0]]) + " of the model's importance: check that it is known before the outcome",
           "列 '" + top + "' 占模型重要性的 " + Pct(by_column[order[0]]) + "：请确认其在结果出现之前就已知",
           {{"share", std::round(by_column[order[0]] * 1000) / 1000}});
    }
  }
  if (cv_auc >= 0.97) {
    std::vector<std::string> top;
    for (size_t i = 0; i < order.size() && i < 3; ++i) top.push_back(enc.columns[order[i]].name);
    std::string names;
    for (const auto& n : top) names += (names.empty() ? "" : ", ") + n;
    char auc[16];
    std::snprintf(auc, sizeof auc, "%.3f", cv_auc);
    warn("auc_implausible", top,
         std::string("a cross-validated AUC of ") + auc + " is implausibly high for a sales outcome: a column may be filled in after it (most important: " +
             names + ")",
         std::string("交叉验证 AUC ") + auc + " 对销售结果而言高得不合常理：可能有列是在结果出现之后才填写的（最重要的列：" + names + "）",
         {{"auc", std::round(cv_auc * 10000) / 10000}});
  }
  // Per column: how well it alone separates the classes, and whether its gaps follow the class.
  const double positives = std::count_if(y.begin(), y.end(), [](float v) { return v > 0.5f; });
  const double negatives = static_cast<double>(y.size()) - positives;
  for (const auto& col : enc.columns) {
    const auto src = static_cast<size_t>(col.source);
    double miss_pos = 0, miss_neg = 0;
    std::vector<float> score(rows.size(), 0);
    std::unordered_map<std::string, std::pair<double, double>> level_rate;  // value → (positives, rows)
    if (col.type != ColumnType::kNumber) {
      for (size_t i = 0; i < rows.size(); ++i) {
        auto& [p, n] = level_rate[IsMissing(t.rows[rows[i]][src]) ? std::string() : t.rows[rows[i]][src]];
        p += y[i];
        n += 1;
      }
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      const std::string& v = t.rows[rows[i]][src];
      bool missing = IsMissing(v);
      (y[i] > 0.5f ? miss_pos : miss_neg) += missing ? 1 : 0;
      double d = 0;
      if (col.type == ColumnType::kNumber) {
        score[i] = missing || !ParseNumber(v, &d) ? -INFINITY : static_cast<float>(d);
      } else {
        const auto& [p, n] = level_rate[missing ? std::string() : v];
        score[i] = static_cast<float>(p / n);
      }
    }
    double auc = Auc(score, y);
    auc = std::max(auc, 1 - auc);
    if (auc >= 0.95) {
      char a[16];
      std::snprintf(a, sizeof a, "%.3f", auc);
      warn("separates_alone", {col.name},
           "column '" + col.name + "' alone separates successes from failures (AUC " + a + "): it may be recorded after the outcome",
           "列 '" + col.name + "' 单独即可区分成功与失败（AUC " + a + "）：它可能是在结果出现之后才记录的",
           {{"auc", std::round(auc * 1000) / 1000}});
    }
    if (positives > 0 && negatives > 0) {
      double rp = miss_pos / positives, rn = miss_neg / negatives;
      double hi = std::max(rp, rn), lo = std::min(rp, rn);
      if (hi >= 0.2 && hi - lo >= 0.3 && lo * 3 <= hi) {
        bool pos_high = rp > rn;
        warn("missing_by_class", {col.name},
             "column '" + col.name + "' is empty in " + Pct(hi) + " of " + (pos_high ? "successes" : "failures") + " but " + Pct(lo) +
                 " of " + (pos_high ? "failures" : "successes") + ": it may be filled in only once the outcome is known",
             "列 '" + col.name + "' 在" + (pos_high ? "成功" : "失败") + "记录中有 " + Pct(hi) + " 为空，在" + (pos_high ? "失败" : "成功") +
                 "记录中只有 " + Pct(lo) + "：它可能在结果确定后才填写",
             {{"missing_successes", std::round(rp * 1000) / 1000}, {"missing_failures", std::round(rn * 1000) / 1000}});
      }
    }
  }
  return warnings;
}

Status Field(const std::string& field, const std::string& code, const std::string& en, const std::string& zh) {
  return Status::Invalid(code, en, zh, field);
}

}  // namespace

const char* ColumnTypeName(ColumnType t) {
  switch (t) {
    case ColumnType::kNumber: return "number";
    case ColumnType::kCategory: return "category";
    case ColumnType::kText: return "text";
    case ColumnType::kConstant: return "constant";
  }
  return "text";
}

bool ParseColumnType(std::string_view s, ColumnType* out) {
  for (ColumnType t : {ColumnType::kNumber, ColumnType::kCategory, ColumnType::kText, ColumnType::kConstant}) {
    if (s == ColumnTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

Result<Table> ReadTable(std::string_view csv) {
  std::vector<size_t> lines;
  Table t;
  KEEL_ASSIGN_OR_RETURN(auto rows, ingest::ParseCsv(csv, &lines, &t.encoding));
  if (rows.size() < 2) return Status::Invalid("csv.empty", "the file has no data rows", "文件没有数据行", "line 2");
  std::vector<std::string> header = std::move(rows[0]);
  for (auto& h : header) {
    while (!h.empty() && (h.back() == ' ' || h.back() == '\r')) h.pop_back();
    while (!h.empty() && h.front() == ' ') h.erase(h.begin());
  }
  // Trailing unnamed columns may be missing from a row (a row that ends before them).
  size_t trailing = 0;
  while (trailing < header.size() && header[header.size() - 1 - trailing].empty()) ++trailing;
  const size_t min_fields = header.size() - trailing;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() > header.size() || rows[r].size() < min_fields) {
      size_t line = lines[r];
      return Status::Invalid("csv.columns",
                             "line " + std::to_string(line) + " has " + std::to_string(rows[r].size()) + " fields, the header " +
                                 std::to_string(header.size()),
                             "第 " + std::to_string(line) + " 行有 " + std::to_string(rows[r].size()) + " 个字段，表头有 " +
                                 std::to_string(header.size()) + " 个",
                             "line " + std::to_string(line));
    }
    rows[r].resize(header.size());
  }
  // Unnamed columns: dropped when empty in every row, else named after their position.
  std::vector<size_t> keep;
  for (size_t c = 0; c < header.size(); ++c) {
    if (!header[c].empty()) {
      keep.push_back(c);
      continue;
    }
    bool any = false;
    for (size_t r = 1; r < rows.size() && !any; ++r) any = !rows[r][c].empty();
    if (!any) {
      t.dropped.push_back(c + 1);
      continue;
    }
    keep.push_back(c);
  }
  if (keep.empty()) return Status::Invalid("csv.header", "the header names no column", "表头没有列名", "line 1");
  std::set<std::string> names;
  for (size_t c : keep) names.insert(header[c]);
  std::set<std::string> seen;
  for (size_t c : keep) {
    std::string name = header[c];
    if (name.empty() || seen.count(name)) {
      std::string base = name.empty() ? "column_" + std::to_string(c + 1) : name;
      std::string next = base;
      for (int k = name.empty() ? 1 : 2; names.count(next) || seen.count(next); ++k) next = base + (k > 1 ? "_" + std::to_string(k) : "");
      t.renamed.push_back({c + 1, name, next});
      name = next;
    }
    seen.insert(name);
    t.header.push_back(std::move(name));
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    std::vector<std::string> row;
    row.reserve(keep.size());
    for (size_t c : keep) row.push_back(std::move(rows[r][c]));
    t.rows.push_back(std::move(row));
    t.lines.push_back(lines[r]);
  }
  if (t.rows.empty()) return Status::Invalid("csv.empty", "the file has no data rows", "文件没有数据行", "line 2");
  return t;
}

json Table::FileJson() const {
  json renames = json::array();
  for (const auto& r : renamed) renames.push_back({{"column", r.column}, {"from", r.from}, {"to", r.to}});
  return {{"encoding", encoding}, {"dropped_columns", dropped}, {"renamed_columns", renames}};
}

json ColumnProfile::ToJson() const {
  json top_values = json::array();
  for (const auto& [v, n] : top) top_values.push_back({{"value", v}, {"rows", n}});
  json j = {{"name", name}, {"type", ColumnTypeName(type)}, {"missing", missing}, {"distinct", distinct}, {"top", top_values}};
  if (!identifier.empty()) j["identifier"] = identifier;
  if (type == ColumnType::kNumber) {
    j["min"] = min;
    j["max"] = max;
  }
  return j;
}

std::vector<ColumnProfile> Profile(const Table& t) {
  std::vector<ColumnProfile> out;
  for (size_t c = 0; c < t.header.size(); ++c) {
    ColumnProfile p;
    p.name = t.header[c];
    std::unordered_map<std::string, int64_t> counts;
    int64_t present = 0, numbers = 0;
    p.min = INFINITY;
    p.max = -INFINITY;
    for (const auto& row : t.rows) {
      const std::string& v = row[c];
      if (IsMissing(v)) {
        p.missing++;
        continue;
      }
      present++;
      counts[v]++;
      double d;
      if (ParseNumber(v, &d)) {
        numbers++;
        p.min = std::min(p.min, d);
        p.max = std::max(p.max, d);
      }
    }
    p.distinct = static_cast<int64_t>(counts.size());
    std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    if (sorted.size() > 8) sorted.resize(8);
    p.top = std::move(sorted);
    int64_t few = std::max<int64_t>(50, static_cast<int64_t>(t.rows.size()) / 20);
    if (p.distinct <= 1) {
      p.type = ColumnType::kConstant;
    } else if (present > 0 && numbers >= present * 98 / 100) {
      p.type = ColumnType::kNumber;
    } else if (p.distinct <= few) {
      p.type = ColumnType::kCategory;
    } else {
      p.type = ColumnType::kText;
    }
    if (p.type != ColumnType::kNumber) p.min = p.max = 0;
    p.identifier = IdentifierKind(t, c, p, present);
    out.push_back(std::move(p));
  }
  return out;
}

std::pair<std::string, std::string> LeftOutReason(const ColumnProfile& c) {
  if (c.identifier == "sequential") return {"an identifier: one whole number per row, in sequence", "标识列：每行一个连续编号"};
  if (c.identifier == "uuid") return {"an identifier: UUID-like keys", "标识列：UUID 类键值"};
  if (!c.identifier.empty()) return {"an identifier: a different value in every row", "标识列：每行取值都不同"};
  if (c.type == ColumnType::kConstant) return {"the same value in every row", "每行取值相同"};
  if (c.type == ColumnType::kText) return {"free text or codes: too many different values to learn from", "自由文本或编码：取值过多，无法学习"};
  return {};
}

Result<Mapping> ParseMapping(const json& j, const Table& t) {
  if (!j.is_object()) return Field("", "validation.body", "send a JSON object", "请发送 JSON 对象");
  auto has_column = [&](const std::string& c) { return std::find(t.header.begin(), t.header.end(), c) != t.header.end(); };
  Mapping m;
  if (!j.contains("label") || !j["label"].is_string()) {
    return Field("label", "validation.required", "label (the outcome column) is required", "label（结果列）为必填项");
  }
  m.label = j["label"].get<std::string>();
  if (!has_column(m.label)) return Field("label", "ai.label", "no column '" + m.label + "'", "没有列 '" + m.label + "'");
  if (j.contains("positive")) {
    if (!j["positive"].is_string()) return Field("positive", "validation.type", "positive must be text", "positive 须为文本");
    m.positive = j["positive"].get<std::string>();
  }
  if (j.contains("exclude")) {
    if (!j["exclude"].is_array()) return Field("exclude", "validation.type", "exclude is a list of columns", "exclude 须为列名数组");
    for (size_t i = 0; i < j["exclude"].size(); ++i) {
      const auto& c = j["exclude"][i];
      std::string f = "exclude[" + std::to_string(i) + "]";
      if (!c.is_string() || !has_column(c.get<std::string>())) return Field(f, "ai.column", "no such column", "没有该列");
      m.exclude.push_back(c.get<std::string>());
    }
  }
  if (j.contains("types")) {
    if (!j["types"].is_object()) return Field("types", "validation.type", "types maps columns to a type", "types 须为 列名→类型 的对象");
    for (const auto& [col, ty] : j["types"].items()) {
      ColumnType ct;
      if (!has_column(col)) return Field("types." + col, "ai.column", "no such column", "没有该列");
      if (!ty.is_string() || !ParseColumnType(ty.get<std::string>(), &ct)) {
        return Field("types." + col, "validation.enum", "a type is number, category or text", "类型须为 number、category 或 text");
      }
      if (ct == ColumnType::kNumber) {
        // A column typed as a number must hold numbers: one that does not would train as all
        // missing. Up to 2 % of the present values may be stray text (read as missing).
        size_t c = static_cast<size_t>(std::find(t.header.begin(), t.header.end(), col) - t.header.begin());
        int64_t present = 0, bad = 0;
        size_t first_bad = 0;
        for (size_t r = 0; r < t.rows.size(); ++r) {
          double d;
          if (IsMissing(t.rows[r][c])) continue;
          ++present;
          if (!ParseNumber(t.rows[r][c], &d) && bad++ == 0) first_bad = r;
        }
        if (bad > 0 && bad * 50 > present) {
          const std::string v = t.rows[first_bad][c].substr(0, 40), line = std::to_string(t.lines[first_bad]);
          return Field("types." + col, "ai.type_mismatch",
                       "column '" + col + "' cannot be a number: '" + v + "' (line " + line + ") is not one, nor are " +
                           std::to_string(bad - 1) + " other of its " + std::to_string(present) + " values",
                       "列 '" + col + "' 不能作为数字：'" + v + "'（第 " + line + " 行）不是数字，其 " + std::to_string(present) +
                           " 个取值中另有 " + std::to_string(bad - 1) + " 个也不是");
        }
      }
      m.types[col] = ct;
    }
  }
  if (j.contains("time_column")) {
    if (!j["time_column"].is_string() || !has_column(j["time_column"].get<std::string>())) {
      return Field("time_column", "ai.column", "no such column", "没有该列");
    }
    m.time_column = j["time_column"].get<std::string>();
    // It orders the holdout, so every present value must be a number, a timestamp or a date.
    size_t c = static_cast<size_t>(std::find(t.header.begin(), t.header.end(), m.time_column) - t.header.begin());
    for (size_t r = 0; r < t.rows.size(); ++r) {
      double d;
      if (IsMissing(t.rows[r][c]) || TimeKey(t.rows[r][c], &d)) continue;
      return Field("time_column", "ai.time_column",
                   "line " + std::to_string(t.lines[r]) + ": '" + t.rows[r][c].substr(0, 40) + "' is not a number, timestamp or date",
                   "第 " + std::to_string(t.lines[r]) + " 行：'" + t.rows[r][c].substr(0, 40) + "' 不是数字、时间戳或日期");
    }
  }
  if (j.contains("folds")) {
    if (!j["folds"].is_number_integer() || j["folds"].get<int>() < 2 || j["folds"].get<int>() > 20) {
      return Field("folds", "validation.range", "folds is a whole number from 2 to 20", "folds 须为 2 到 20 的整数");
    }
    m.folds = j["folds"].get<int>();
  }
  if (j.contains("holdout")) {
    if (!j["holdout"].is_number() || j["holdout"].get<double>() < 0 || j["holdout"].get<double>() > 0.5) {
      return Field("holdout", "validation.range", "holdout is a share from 0 to 0.5", "holdout 须为 0 到 0.5 之间的比例");
    }
    m.holdout = j["holdout"].get<double>();
  }
  return m;
}

Encoder Encoder::Fit(const Table& t, const std::vector<ColumnProfile>& profile, const Mapping& m, const std::vector<size_t>& rows) {
  Encoder e;
  for (size_t c = 0; c < t.header.size(); ++c) {
    const std::string& name = t.header[c];
    if (name == m.label || name == m.time_column) continue;
    if (std::find(m.exclude.begin(), m.exclude.end(), name) != m.exclude.end()) continue;
    ColumnType type = profile[c].type;
    auto typed = m.types.find(name);
    if (typed != m.types.end()) type = typed->second;
    else if (!profile[c].identifier.empty()) continue;  // a row's key, not a fact about it
    if (type == ColumnType::kText || type == ColumnType::kConstant) continue;
    Column col;
    col.name = name;
    col.source = static_cast<int>(c);
    col.type = type;
    if (type == ColumnType::kNumber) {
      e.feature_names.push_back(name);
    } else {
      // Levels seen at least 5 times in the training rows (or in 0.5 % of them), at most 40.
      std::unordered_map<std::string, int64_t> counts;
      for (size_t r : rows) {
        if (!IsMissing(t.rows[r][c])) counts[t.rows[r][c]]++;
      }
      std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
      std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
      int64_t min_rows = std::max<int64_t>(5, static_cast<int64_t>(rows.size()) / 200);
      for (const auto& [v, n] : sorted) {
        if (n < min_rows || col.levels.size() >= 40) break;
        col.levels.push_back(v);
        e.feature_names.push_back(name + "=" + v);
      }
      if (col.levels.empty()) continue;
    }
    e.columns.push_back(std::move(col));
  }
  return e;
}

namespace {

// One cell into its features (a number, or one 0/1 per category level; NaN when missing);
// returns how many were written.
size_t EncodeCell(const Encoder::Column& col, const std::string& v, float* out) {
  if (col.type == ColumnType::kNumber) {
    double d;
    *out = !IsMissing(v) && ParseNumber(v, &d) ? static_cast<float>(d) : NAN;
    return 1;
  }
  bool missing = IsMissing(v);
  for (size_t k = 0; k < col.levels.size(); ++k) out[k] = missing ? NAN : (v == col.levels[k] ? 1.0f : 0.0f);
  return col.levels.size();
}

}  // namespace

Matrix Encoder::Encode(const Table& t, const std::vector<size_t>& rows) const {
  Matrix m(rows.size(), feature_names.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = t.rows[rows[i]];
    float* out = m.row(i);
    for (const auto& col : columns) out += EncodeCell(col, row[static_cast<size_t>(col.source)], out);
  }
  return m;
}

Matrix Encoder::EncodeValues(const std::vector<std::vector<std::string>>& values) const {
  Matrix m(values.size(), feature_names.size());
  for (size_t i = 0; i < values.size(); ++i) EncodeRow(values[i], m.row(i));
  return m;
}

void Encoder::EncodeRow(const std::vector<std::string>& values, float* out) const {
  static const std::string kNone;
  for (size_t c = 0; c < columns.size(); ++c) out += EncodeCell(columns[c], c < values.size() ? values[c] : kNone, out);
}

std::vector<size_t> Encoder::FeatureColumns() const {
  std::vector<size_t> out;
  for (size_t c = 0; c < columns.size(); ++c) {
    size_t n = columns[c].type == ColumnType::kNumber ? 1 : columns[c].levels.size();
    out.insert(out.end(), n, c);
  }
  return out;
}

Result<Encoder> Encoder::FromJson(const json& j) {
  Encoder e;
  if (!j.is_object() || !j.contains("columns") || !j["columns"].is_array()) return Status::Internal("a stored encoder has no columns");
  for (const auto& c : j["columns"]) {
    Column col;
    col.name = c.value("name", "");
    col.source = static_cast<int>(e.columns.size());
    if (!ParseColumnType(c.value("type", ""), &col.type)) return Status::Internal("a stored encoder column has no type");
    if (col.type == ColumnType::kNumber) {
      e.feature_names.push_back(col.name);
    } else {
      for (const auto& l : c.value("levels", json::array())) {
        col.levels.push_back(l.get<std::string>());
        e.feature_names.push_back(col.name + "=" + col.levels.back());
      }
    }
    e.columns.push_back(std::move(col));
  }
  return e;
}

json ExplainRow(const Encoder& enc, const float* contrib, const std::vector<std::string>& values, double p,
                const std::vector<std::pair<std::string, std::string>>& names) {
  std::vector<double> by_column(enc.columns.size(), 0);
  auto of = enc.FeatureColumns();
  for (size_t f = 0; f < of.size(); ++f) by_column[of[f]] += contrib[f];
  std::vector<Contribution> items;
  for (size_t c = 0; c < enc.columns.size(); ++c) {
    const std::string& v = c < values.size() ? values[c] : std::string();
    const auto& [zh, en] = c < names.size() ? names[c] : std::pair<std::string, std::string>{enc.columns[c].name, enc.columns[c].name};
    Contribution item;
    item.feature = enc.columns[c].name;
    item.logit = by_column[c];
    double d;
    bool missing = IsMissing(v);
    item.value = missing ? json(nullptr) : enc.columns[c].type == ColumnType::kNumber && ParseNumber(v, &d) ? json(d) : json(v);
    item.zh = zh + (missing ? "未知" : "：" + v);
    item.en = en + (missing ? " unknown" : ": " + v);
    items.push_back(std::move(item));
  }
  return ExplainPoints(items, contrib[of.size()], p);
}

json Encoder::ToJson() const {
  json cols = json::array();
  for (const auto& c : columns) {
    json j = {{"name", c.name}, {"type", ColumnTypeName(c.type)}};
    if (!c.levels.empty()) j["levels"] = c.levels;
    cols.push_back(j);
  }
  return {{"columns", cols}, {"features", feature_names.size()}};
}

Result<TabularModel> TrainTabular(const Table& t, const Mapping& m, const TrainParams& params, int64_t min_per_class,
                                  const TabularProgress& progress) {
  auto label_col = static_cast<size_t>(std::find(t.header.begin(), t.header.end(), m.label) - t.header.begin());
  if (label_col >= t.header.size()) return Field("label", "ai.label", "no column '" + m.label + "'", "没有列 '" + m.label + "'");
  // The positive class: given, or a success-like word, or the rarer of two values.
  std::map<std::string, int64_t> values;
  for (const auto& row : t.rows) {
    if (!IsMissing(row[label_col])) values[row[label_col]]++;
  }
  if (values.size() < 2) {
    return Field("label", "ai.label", "the label column has fewer than two different values", "结果列的取值少于两种");
  }
  std::string positive = m.positive;
  if (positive.empty()) {
    if (values.size() > 2) {
      return Field("positive", "ai.label", "the label has more than two values; say which one is the success",
                   "结果列有两种以上取值，请指定表示成功的取值");
    }
    static const std::set<std::string> kSuccess = {"yes", "y", "1", "true", "won", "win", "converted", "success", "是", "成交", "赢单"};
    for (const auto& [v, n] : values) {
      if (kSuccess.count(Lower(v))) positive = v;
    }
    if (positive.empty()) positive = values.begin()->second <= std::next(values.begin())->second ? values.begin()->first : std::next(values.begin())->first;
  } else if (!values.count(positive)) {
    return Field("positive", "ai.label", "no row has the label value '" + positive + "'", "没有结果为 '" + positive + "' 的行");
  }
  // Rows with a label; their order (time column, else file order) decides the holdout.
  std::vector<size_t> rows;
  std::vector<float> y_all(t.rows.size(), 0);
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (IsMissing(t.rows[r][label_col])) continue;
    rows.push_back(r);
    y_all[r] = t.rows[r][label_col] == positive ? 1.0f : 0.0f;
  }
  int64_t pos = 0;
  for (size_t r : rows) pos += y_all[r] > 0.5 ? 1 : 0;
  int64_t neg = static_cast<int64_t>(rows.size()) - pos;
  if (pos < min_per_class || neg < min_per_class) {
    return Status::Invalid("ai.not_enough_data",
                           "not enough history yet: " + std::to_string(pos) + " successes and " + std::to_string(neg) +
                               " failures; at least " + std::to_string(min_per_class) + " of each are needed",
                           "历史数据不足：成功 " + std::to_string(pos) + " 条、失败 " + std::to_string(neg) + " 条；每类至少需要 " +
                               std::to_string(min_per_class) + " 条",
                           "label");
  }
  if (!m.time_column.empty()) {
    size_t tc = static_cast<size_t>(std::find(t.header.begin(), t.header.end(), m.time_column) - t.header.begin());
    auto key = [&](size_t r) {
      double d = -INFINITY;  // missing times go first
      if (!IsMissing(t.rows[r][tc])) TimeKey(t.rows[r][tc], &d);
      return d;
    };
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  }
  auto profile = Profile(t);
  auto labels_of = [&](const std::vector<size_t>& rs) {
    std::vector<float> y;
    y.reserve(rs.size());
    for (size_t r : rs) y.push_back(y_all[r]);
    return y;
  };
  // Trains on `train` with the last 15 % of it (stratified) for early stopping.
  auto fit = [&](const std::vector<size_t>& train, int fixed_rounds, Encoder* enc_out) -> Result<Booster> {
    Encoder enc = Encoder::Fit(t, profile, m, train);
    if (enc.feature_names.empty()) {
      return Field("exclude", "ai.no_features", "no column is left to learn from", "没有可用于学习的列");
    }
    TrainParams p = params;
    Result<Booster> b = Status();
    if (fixed_rounds > 0) {
      p.rounds = fixed_rounds;
      p.early_stopping = 0;
      b = Booster::Train(enc.Encode(t, train), labels_of(train), {}, p);
    } else {
      std::vector<float> ty = labels_of(train);
      auto inner = StratifiedFolds(ty, 7, params.seed + 1);
      std::vector<size_t> fit_rows, stop_rows;
      std::vector<bool> is_stop(train.size(), false);
      for (size_t i : inner[0]) is_stop[i] = true;
      for (size_t i = 0; i < train.size(); ++i) (is_stop[i] ? stop_rows : fit_rows).push_back(train[i]);
      Matrix stop_x = enc.Encode(t, stop_rows);
      std::vector<float> stop_y = labels_of(stop_rows);
      b = Booster::Train(enc.Encode(t, fit_rows), labels_of(fit_rows), {}, p, &stop_x, &stop_y);
    }
    if (b.ok() && enc_out) *enc_out = std::move(enc);
    return b;
  };
  int steps = m.folds + 2, step = 0;
  // Cross-validation over all labelled rows: out-of-fold predictions pooled.
  std::vector<float> y = labels_of(rows);
  auto folds = StratifiedFolds(y, m.folds, params.seed);
  std::vector<float> oof(rows.size(), 0);
  std::vector<double> fold_auc;
  std::vector<int> best_rounds;
  for (int k = 0; k < m.folds; ++k) {
    std::vector<bool> in_test(rows.size(), false);
    for (size_t i : folds[static_cast<size_t>(k)]) in_test[i] = true;
    std::vector<size_t> train, test;
    for (size_t i = 0; i < rows.size(); ++i) (in_test[i] ? test : train).push_back(rows[i]);
    Encoder enc;
    KEEL_ASSIGN_OR_RETURN(Booster b, fit(train, 0, &enc));
    KEEL_ASSIGN_OR_RETURN(std::vector<float> p, b.Predict(enc.Encode(t, test)));
    for (size_t i = 0; i < test.size(); ++i) oof[folds[static_cast<size_t>(k)][i]] = p[i];
    fold_auc.push_back(Auc(p, labels_of(test)));
    best_rounds.push_back(b.rounds());
    if (progress) progress(++step, steps, "fold " + std::to_string(k + 1));
  }
  double mean = std::accumulate(fold_auc.begin(), fold_auc.end(), 0.0) / static_cast<double>(fold_auc.size());
  double var = 0;
  for (double a : fold_auc) var += (a - mean) * (a - mean);
  double sd = fold_auc.size() > 1 ? std::sqrt(var / static_cast<double>(fold_auc.size() - 1)) : 0;
  // Holdout: the latest rows.
  json holdout_json = nullptr;
  if (m.holdout > 0) {
    size_t cut = rows.size() - static_cast<size_t>(static_cast<double>(rows.size()) * m.holdout);
    std::vector<size_t> train(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(cut));
    std::vector<size_t> test(rows.begin() + static_cast<std::ptrdiff_t>(cut), rows.end());
    Encoder enc;
    KEEL_ASSIGN_OR_RETURN(Booster b, fit(train, 0, &enc));
    KEEL_ASSIGN_OR_RETURN(std::vector<float> p, b.Predict(enc.Encode(t, test)));
    holdout_json = Evaluate(p, labels_of(test)).ToJson();
    holdout_json["split"] = m.time_column.empty() ? "the last rows of the file" : "the latest rows by " + m.time_column;
    holdout_json["train_rows"] = train.size();
  }
  if (progress) progress(++step, steps, "holdout");
  // The final model: every labelled row, the median best round count of the folds.
  std::sort(best_rounds.begin(), best_rounds.end());
  int rounds = std::max(10, best_rounds[best_rounds.size() / 2]);
  TabularModel out;
  KEEL_ASSIGN_OR_RETURN(out.booster, fit(rows, rounds, &out.encoder));
  if (progress) progress(++step, steps, "final model");
  KEEL_ASSIGN_OR_RETURN(std::vector<double> importance, out.booster.Importance(out.encoder.feature_names.size()));
  std::vector<size_t> order(importance.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return importance[a] > importance[b]; });
  json imp = json::array();
  for (size_t i = 0; i < order.size() && i < 15; ++i) {
    if (importance[order[i]] <= 0) break;
    imp.push_back({{"feature", out.encoder.feature_names[order[i]]}, {"share", std::round(importance[order[i]] * 1000) / 1000}});
  }
  // What was left out without being asked, and what looks like leakage.
  json left_out = json::array();
  for (const auto& c : profile) {
    if (c.name == m.label || c.name == m.time_column || m.types.count(c.name) ||
        std::find(m.exclude.begin(), m.exclude.end(), c.name) != m.exclude.end()) {
      continue;
    }
    auto [en, zh] = LeftOutReason(c);
    if (en.empty()) continue;
    json item = {{"column", c.name}, {"reason", c.identifier.empty() ? ColumnTypeName(c.type) : "identifier"}, {"message", en}, {"message_zh", zh}};
    if (!c.identifier.empty()) item["identifier"] = c.identifier;
    left_out.push_back(std::move(item));
  }
  const double cv_auc = Auc(oof, y);
  json warnings = LeakageWarnings(t, out.encoder, importance, rows, y, cv_auc);
  std::vector<std::string> suspects;
  for (const auto& w : warnings) {
    for (const auto& c : w["columns"]) {
      if (std::find(suspects.begin(), suspects.end(), c.get<std::string>()) == suspects.end()) suspects.push_back(c.get<std::string>());
    }
  }
  // Bands as the built-in models have them: A the top 10 % of out-of-fold scores, B the next
  // 20 %, C the next 30 %, D the rest.
  std::vector<float> sorted_oof = oof;
  std::sort(sorted_oof.begin(), sorted_oof.end());
  auto quantile = [&](double q) { return sorted_oof[std::min(sorted_oof.size() - 1, static_cast<size_t>(q * static_cast<double>(sorted_oof.size())))]; };
  json bands = {{"A", quantile(0.9)}, {"B", quantile(0.7)}, {"C", quantile(0.4)}};
  json cv = Evaluate(oof, y).ToJson();
  cv["folds"] = m.folds;
  cv["fold_auc"] = fold_auc;
  cv["auc_mean"] = std::round(mean * 10000) / 10000;
  cv["auc_sd"] = std::round(sd * 10000) / 10000;
  out.card = {{"rows", rows.size()},
              {"label", {{"column", m.label}, {"positive", positive}, {"positives", pos}, {"negatives", neg}}},
              {"excluded", m.exclude},
              {"left_out", left_out},
              {"file", t.FileJson()},
              {"warnings", warnings},
              {"suspects", suspects},
              {"encoding", out.encoder.ToJson()},
              {"cross_validation", cv},
              {"holdout", holdout_json},
              {"rounds", rounds},
              {"bands", bands},
              {"importance", imp},
              {"params", {{"max_depth", params.max_depth}, {"eta", params.eta}, {"subsample", params.subsample},
                          {"colsample_bytree", params.colsample}, {"min_child_weight", params.min_child_weight}}}};
  return out;
}

}  // namespace keel::ai
