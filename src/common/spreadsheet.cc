#include "common/spreadsheet.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <xlsxwriter.h>

namespace keel {

namespace {

constexpr const char* kXlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

std::string CsvField(const SheetCell& c) {
  std::string text;
  if (const auto* i = std::get_if<int64_t>(&c)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&c)) {
    if (!std::isfinite(*d)) return "";
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);  // the shortest text that reads back the same
    return ec == std::errc() ? std::string(buf, end) : std::string();
  }
  if (const auto* b = std::get_if<bool>(&c)) return *b ? "true" : "false";
  const auto* s = std::get_if<std::string>(&c);
  if (!s) return "";
  text = CsvSafeText(*s);
  // Quoted: a neutralised formula, a separator, a quote or a line break, or edge spaces (which a
  // spreadsheet would trim).
  bool edge_space = !text.empty() && (std::isspace(static_cast<unsigned char>(text.front())) ||
                                      std::isspace(static_cast<unsigned char>(text.back())));
  if (text.size() == s->size() && !edge_space && text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

class CsvWriter : public SheetWriter {
 public:
  CsvWriter() { out_ = "\xEF\xBB\xBF"; }  // the BOM: Excel reads the file as UTF-8
  Status AddRow(const std::vector<SheetCell>& cells) override {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) out_ += ',';
      out_ += CsvField(cells[i]);
    }
    out_ += "\r\n";
    return Status();
  }
  Result<std::string> Finish() override { return std::move(out_); }

 private:
  std::string out_;
};

// The first `max` bytes of `s` without cutting a UTF-8 sequence.
std::string Utf8Prefix(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

class XlsxWriter : public SheetWriter {
 public:
  ~XlsxWriter() override {
    if (book_) workbook_close(book_);
    if (!path_.empty()) std::remove(path_.c_str());
  }
  Status Open(const std::string& sheet) {
    std::error_code ec;
    tmpdir_ = std::filesystem::temp_directory_path(ec).string();  // $TMPDIR, else /tmp
    if (ec) return Status::Internal("no temporary directory for the export: " + ec.message());
    std::string tmpl = tmpdir_ + "/keel-export-XXXXXX";
    int fd = mkstemp(tmpl.data());
    if (fd < 0) return Status::Internal("cannot create a temporary file for the export");
    close(fd);
    path_ = tmpl;
    lxw_workbook_options options = {};
    options.constant_memory = LXW_TRUE;  // rows go to disk as they come
    options.tmpdir = tmpdir_.data();
    book_ = workbook_new_opt(path_.c_str(), &options);
    if (!book_) return Status::Internal("cannot start the XLSX workbook");
    std::string name = sheet.empty() ? "Sheet1" : Utf8Prefix(sheet, 31);
    sheet_ = workbook_add_worksheet(book_, name.c_str());
    if (!sheet_) return Status::Internal("cannot add the XLSX worksheet");
    header_ = workbook_add_format(book_);
    format_set_bold(header_);
    return Status();
  }
  Status AddRow(const std::vector<SheetCell>& cells) override {
    if (row_ >= LXW_ROW_MAX) return Status::Invalid("export.too_many_rows", "an XLSX sheet holds at most 1,048,576 rows", "XLSX 工作表最多 1,048,576 行");
    for (size_t i = 0; i < cells.size() && i < LXW_COL_MAX; ++i) {
      const SheetCell& c = cells[i];
      auto col = static_cast<lxw_col_t>(i);
      lxw_format* f = row_ == 0 ? header_ : nullptr;
      lxw_error err = LXW_NO_ERROR;
      if (const auto* n = std::get_if<int64_t>(&c)) err = worksheet_write_number(sheet_, row_, col, static_cast<double>(*n), f);
      else if (const auto* d = std::get_if<double>(&c)) err = std::isfinite(*d) ? worksheet_write_number(sheet_, row_, col, *d, f) : LXW_NO_ERROR;
      else if (const auto* b = std::get_if<bool>(&c)) err = worksheet_write_boolean(sheet_, row_, col, *b ? 1 : 0, f);
      // A cell holds at most 32,767 characters; longer text is cut (bytes bound characters).
      else if (const auto* s = std::get_if<std::string>(&c)) err = worksheet_write_string(sheet_, row_, col, Utf8Prefix(*s, 32767).c_str(), f);
      if (err != LXW_NO_ERROR) return Status::Internal(std::string("XLSX: ") + lxw_strerror(err));
    }
    ++row_;
    return Status();
  }
  Result<std::string> Finish() override {
    lxw_error err = workbook_close(book_);
    book_ = nullptr;
    if (err != LXW_NO_ERROR) return Status::Internal(std::string("XLSX: ") + lxw_strerror(err));
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in.good() && !in.eof()) return Status::Internal("cannot read the XLSX file back");
    return bytes.str();
  }

 private:
  lxw_workbook* book_ = nullptr;
  lxw_worksheet* sheet_ = nullptr;
  lxw_format* header_ = nullptr;
  lxw_row_t row_ = 0;
  std::string path_, tmpdir_;
};

}  // namespace

std::string CsvSafeText(const std::string& text) {
  if (!text.empty() && (text[0] == '=' || text[0] == '+' || text[0] == '-' || text[0] == '@' || text[0] == '\t' || text[0] == '\r')) {
    return "'" + text;
  }
  return text;
}

Result<std::unique_ptr<SheetWriter>> SheetWriter::Open(std::string_view format, const std::string& sheet) {
  if (format == "csv") return std::unique_ptr<SheetWriter>(std::make_unique<CsvWriter>());
  if (format == "xlsx") {
    auto w = std::make_unique<XlsxWriter>();
    KEEL_RETURN_IF_ERROR(w->Open(sheet));
    return std::unique_ptr<SheetWriter>(std::move(w));
  }
  return Status::Invalid("validation.parameter", "format must be csv or xlsx", "format 应为 csv 或 xlsx", "format");
}

const char* SheetWriter::MediaType(std::string_view format) {
  return format == "xlsx" ? kXlsxType : "text/csv; charset=utf-8";
}

}  // namespace keel
