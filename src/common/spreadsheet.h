// Tabular files for people (导出文件): CSV the way Excel and WPS open it (UTF-8 with a BOM, CRLF,
// RFC 4180 quoting, a text cell a spreadsheet would run as a formula kept as text with a leading
// apostrophe) and XLSX (libxlsxwriter, rows streamed to a temporary file in constant memory; text
// is always written as text, never as a formula). One writer per file; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"

namespace keel {

// A cell: empty, an integer, a number, a yes/no or text (UTF-8).
using SheetCell = std::variant<std::monostate, int64_t, double, bool, std::string>;

class SheetWriter {
 public:
  virtual ~SheetWriter() = default;
  // Appends one row (the first is the header).
  virtual Status AddRow(const std::vector<SheetCell>& cells) = 0;
  // Ends the file and returns its bytes; the writer takes no more rows.
  virtual Result<std::string> Finish() = 0;

  // `format` "csv" or "xlsx" (else 400 validation.parameter on "format"); `sheet` names the
  // worksheet of an XLSX file (at most 31 characters are kept).
  static Result<std::unique_ptr<SheetWriter>> Open(std::string_view format, const std::string& sheet);
  // The media type of a format Open accepts.
  static const char* MediaType(std::string_view format);
};

// A CSV text cell as a spreadsheet should show it: a leading = + - @ tab or CR becomes text ('…).
std::string CsvSafeText(const std::string& text);

}  // namespace keel
