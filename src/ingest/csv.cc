#include "ingest/csv.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "common/text_encoding.h"

namespace keel::ingest {
namespace {

using json = nlohmann::json;

Status LineError(const char* code, size_t line, const std::string& en, const std::string& zh) {
  return Status::Invalid(code, en, zh, "line " + std::to_string(line));
}

}  // namespace

Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text, std::vector<size_t>* line_of_row, std::string* encoding) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  if (!IsUtf8(text)) {
    // A Chinese Excel's "CSV" (GB18030/GBK), UTF-16 "Unicode text", …: read as what it is.
    if (auto decoded = DecodeToUtf8(text); decoded.ok()) {
      if (line_of_row) line_of_row->clear();
      auto rows = ParseCsv(decoded->text, line_of_row);
      if (encoding) *encoding = decoded->encoding;
      return rows;
    }
    size_t line = 1, start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) nl = text.size();
      if (!IsUtf8(text.substr(start, nl - start))) break;
      start = nl + 1;
      ++line;
    }
    return LineError("csv.utf8", line, "line " + std::to_string(line) + " is neither UTF-8 nor GB18030/GBK (save the file as CSV UTF-8)",
                     "第 " + std::to_string(line) + " 行既不是 UTF-8 也不是 GB18030/GBK 编码（请另存为 CSV UTF-8）");
  }
  if (encoding) *encoding = "UTF-8";
  size_t header_end = text.find('\n');
  std::string_view header = text.substr(0, header_end);
  char delim = ',';
  size_t commas = std::count(header.begin(), header.end(), ','), semis = std::count(header.begin(), header.end(), ';'),
         tabs = std::count(header.begin(), header.end(), '\t');
  if (semis > commas && semis >= tabs) delim = ';';
  else if (tabs > commas && tabs > semis) delim = '\t';
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, at_start = true;
  size_t line = 1, row_line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"' && at_start) {
      quoted = true;
      at_start = false;
      continue;
    }
    if (c == delim) {
      row.push_back(std::move(field));
      field.clear();
      at_start = true;
      continue;
    }
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      bool blank = row.size() == 1 && row[0].empty();
      if (!blank) {
        rows.push_back(std::move(row));
        if (line_of_row) line_of_row->push_back(row_line);
      }
      row.clear();
      at_start = true;
      ++line;
      row_line = line;
      continue;
    }
    field += c;
    at_start = false;
  }
  if (quoted) return LineError("csv.quote", row_line, "a quoted field is not closed", "引号字段未闭合");
  if (!field.empty() || !row.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
    if (line_of_row) line_of_row->push_back(row_line);
  }
  return rows;
}

Result<CsvRecords> RowsToRecords(const std::vector<std::vector<std::string>>& rows, const std::vector<size_t>& line_of_row,
                                 const std::string& type, const std::vector<std::string>& number_fields) {
  CsvRecords out;
  if (rows.empty()) return Status::Invalid("csv.empty", "the file has no header row", "文件没有表头", "line 1");
  std::vector<std::string> header;
  for (std::string h : rows[0]) {
    while (!h.empty() && (h.back() == ' ' || h.back() == '\r')) h.pop_back();
    while (!h.empty() && h.front() == ' ') h.erase(h.begin());
    header.push_back(h);
  }
  std::set<std::string> numbers = {"qty", "unit_price", "discount", "duration_min", "sentiment", "amount"};
  numbers.insert(number_fields.begin(), number_fields.end());
  static const std::set<std::string> kLineFields = {"sku", "qty", "unit_price", "discount"};
  std::map<std::string, size_t> order_index;  // code → record
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    size_t line = r < line_of_row.size() ? line_of_row[r] : r + 1;
    if (row.size() != header.size()) {
      return LineError("csv.columns", line, "line " + std::to_string(line) + " has " + std::to_string(row.size()) +
                                                " fields; the header has " + std::to_string(header.size()),
                       "第 " + std::to_string(line) + " 行有 " + std::to_string(row.size()) + " 个字段，表头有 " +
                           std::to_string(header.size()) + " 个");
    }
    json rec = {{"type", type}};
    json line_item = json::object();
    for (size_t c = 0; c < header.size(); ++c) {
      const std::string& name = header[c];
      const std::string& v = row[c];
      if (name.empty() || v.empty()) continue;
      json value = v;
      // Ids (unit_id, owner_id …) are numbers too; a CSV cell is always text.
      bool id = name.size() > 3 && name.compare(name.size() - 3, 3, "_id") == 0;
      if (numbers.count(name) || id) {
        char* end = nullptr;
        double d = std::strtod(v.c_str(), &end);
        if (end != v.c_str() && *end == '\0') {
          bool whole = d == static_cast<double>(static_cast<long long>(d)) && v.find_first_of(".eE") == std::string::npos;
          value = whole ? json(static_cast<long long>(d)) : json(d);
        }  // else kept as text: validation reports it with its field
      }
      if (type == "order" && kLineFields.count(name)) {
        line_item[name] = value;
      } else if (type != "order" && type != "activity" && type != "signal" && type != "lead" &&
                 name != "at" && name != "id" && name != "rep" && name != "customer_code") {
        rec["data"][name] = value;
      } else {
        rec[name] = value;
      }
    }
    if (type == "order") {
      std::string code = rec.value("code", "");
      auto it = order_index.find(code);
      if (!code.empty() && it != order_index.end()) {
        out.records[it->second]["lines"].push_back(line_item);  // another line of the same order
        continue;
      }
      rec["lines"] = json::array({line_item});
      if (!code.empty()) order_index[code] = out.records.size();
    }
    out.records.push_back(std::move(rec));
    out.lines.push_back(line);
  }
  return out;
}

}  // namespace keel::ingest
