#include "store/bulk.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace keel::store {

std::string DoubleText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

std::string ArrayLiteral(std::span<const Value> values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    const Value& v = values[i];
    if (std::holds_alternative<std::monostate>(v)) {
      out += "NULL";
    } else if (auto n = std::get_if<int64_t>(&v)) {
      out += std::to_string(*n);
    } else if (auto d = std::get_if<double>(&v)) {
      out += DoubleText(*d);
    } else {
      out += '"';
      for (char c : std::get<std::string>(v)) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  out += '}';
  return out;
}

Status InsertMany(Connection& conn, std::string_view table, std::span<const BulkColumn> columns,
                  std::span<const std::vector<Value>> rows) {
  if (rows.empty()) return Status();
  for (const auto& row : rows) {
    if (row.size() != columns.size()) return Status::Internal("InsertMany: a row of " + std::string(table) + " has the wrong width");
  }
  std::string names;
  for (size_t c = 0; c < columns.size(); ++c) names += (c ? ", " : "") + std::string(columns[c].name);
  if (conn.backend() == Backend::kSqlite) {
    std::string sql = "INSERT INTO " + std::string(table) + " (" + names + ") VALUES (";
    for (size_t c = 0; c < columns.size(); ++c) sql += c ? ", ?" : "?";
    sql += ")";
    for (const auto& row : rows) KEEL_RETURN_IF_ERROR(conn.Exec(sql, row).status());
    return Status();
  }
  std::string sql = "INSERT INTO " + std::string(table) + " (" + names + ") SELECT * FROM unnest(";
  for (size_t c = 0; c < columns.size(); ++c) sql += (c ? ", ?::" : "?::") + std::string(columns[c].pg_type) + "[]";
  sql += ")";
  constexpr size_t kChunk = 2000;
  std::vector<Value> column;
  for (size_t begin = 0; begin < rows.size(); begin += kChunk) {
    const size_t end = std::min(rows.size(), begin + kChunk);
    std::vector<Value> params;
    params.reserve(columns.size());
    for (size_t c = 0; c < columns.size(); ++c) {
      column.clear();
      for (size_t r = begin; r < end; ++r) column.push_back(rows[r][c]);
      params.emplace_back(ArrayLiteral(column));
    }
    KEEL_RETURN_IF_ERROR(conn.Exec(sql, params).status());
  }
  return Status();
}

}  // namespace keel::store
