// CSV import of the facts POST /api/v1/events takes: a header row names the columns after the
// record fields (docs/ingest.md); order rows with the same `code` are the lines of one order.
// RFC 4180 quoting, a UTF-8 BOM is skipped, GB18030/GBK and UTF-16 are converted, `,` or `;` or tab as the delimiter (detected from
// the header). Every problem names its line.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace keel::ingest {

// Splits CSV text into rows of fields. Text that is not UTF-8 is converted first (GB18030/GBK,
// UTF-16 with a BOM, …: common/text_encoding.h); `encoding` receives what it was. Errors:
// "csv.quote" (an unterminated quote), "csv.utf8" (no encoding reads it), each with field "line N".
Result<std::vector<std::vector<std::string>>> ParseCsv(std::string_view text, std::vector<size_t>* line_of_row = nullptr,
                                                       std::string* encoding = nullptr);

struct CsvRecords {
  std::vector<nlohmann::json> records;
  std::vector<size_t> lines;  // the CSV line each record starts on
};

// Turns rows (the first is the header) into records of `type` ("order", "activity", "signal",
// "lead", or a custom type whose numeric fields are listed in `number_fields`).
Result<CsvRecords> RowsToRecords(const std::vector<std::vector<std::string>>& rows, const std::vector<size_t>& line_of_row,
                                 const std::string& type, const std::vector<std::string>& number_fields = {});

}  // namespace keel::ingest
