// Files people export (导出文件的编码): Excel and WPS on a Chinese Windows save "CSV" in GB18030/GBK,
// "Unicode text" in UTF-16 with a BOM, "CSV UTF-8" with a BOM. This turns such bytes into UTF-8
// (ICU converters; ICU's charset detector when the bytes are not UTF-8) and says what they were.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace keel {

struct DecodedText {
  std::string text;      // UTF-8, without a byte-order mark
  std::string encoding;  // "UTF-8", "GB18030", "UTF-16LE", "Big5", … (ICU's names)
  bool bom = false;      // the bytes began with a byte-order mark
  int confidence = 100;  // the detector's confidence (0-100) when the encoding was guessed
};

// `declared`: an encoding the sender names ("" = work it out). UTF-8 (with or without a BOM) is
// taken as it is; a UTF-16 BOM decides; otherwise the detector's candidates are tried in order
// of confidence, each strictly (a byte sequence the encoding does not define fails it), GB18030
// first among equals. GBK, GB2312 and CP936 are read as GB18030, their superset.
// Errors: "text.encoding" (an encoding name ICU does not know; field "encoding"),
// "text.undecodable" (the bytes fit neither the declared encoding nor any detected one).
Result<DecodedText> DecodeToUtf8(std::string_view bytes, std::string_view declared = {});

// Whether `s` is well-formed UTF-8.
bool IsUtf8(std::string_view s);

}  // namespace keel
