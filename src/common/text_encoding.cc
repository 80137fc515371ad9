#include "common/text_encoding.h"

#include <unicode/ucnv.h>
#include <unicode/uchar.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

namespace keel {
namespace {

struct ConverterCloser {
  void operator()(UConverter* c) const { ucnv_close(c); }
};
struct DetectorCloser {
  void operator()(UCharsetDetector* d) const { ucsdet_close(d); }
};

// Strict conversion: a byte sequence `charset` does not define stops it (no U+FFFD). A guessed
// encoding must also give text a person wrote: no C1 controls, private-use characters (where
// GB18030 puts its single bytes 0x80 and 0xFF), NULs or replacement characters.
bool Convert(std::string_view bytes, const char* charset, std::string* out, bool guessed = false, bool single_byte = false) {
  UErrorCode st = U_ZERO_ERROR;
  std::unique_ptr<UConverter, ConverterCloser> cv(ucnv_open(charset, &st));
  if (U_FAILURE(st)) return false;
  ucnv_setToUCallBack(cv.get(), UCNV_TO_U_CALLBACK_STOP, nullptr, nullptr, nullptr, &st);
  if (U_FAILURE(st)) return false;
  // Every encoding here yields at most one UTF-16 unit per byte.
  std::u16string wide(bytes.size() + 1, u'\0');
  int32_t n = ucnv_toUChars(cv.get(), wide.data(), static_cast<int32_t>(wide.size()), bytes.data(),
                            static_cast<int32_t>(bytes.size()), &st);
  if (U_FAILURE(st)) return false;
  if (guessed) {
    int32_t high = 0, letters = 0;
    for (int32_t i = 0; i < n; ++i) {
      char16_t c = wide[static_cast<size_t>(i)];
      if (c == 0 || (c >= 0x80 && c <= 0x9F) || (c >= 0xE000 && c <= 0xF8FF) || c == 0xFFFD) return false;
      if (c >= 0x80) ++high, letters += u_isalpha(c) ? 1 : 0;
    }
    // A single-byte code page reads any bytes: its text must be mostly letters (é, ü, ñ), not
    // the symbols junk turns into (€ÿ€).
    if (single_byte && letters * 5 < high * 4) return false;
  }
  int32_t len = 0;
  st = U_ZERO_ERROR;
  u_strToUTF8(nullptr, 0, &len, wide.data(), n, &st);
  if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) return false;
  out->assign(static_cast<size_t>(len), '\0');
  st = U_ZERO_ERROR;
  u_strToUTF8(out->data(), len, &len, wide.data(), n, &st);
  return U_SUCCESS(st) || st == U_STRING_NOT_TERMINATED_WARNING;
}

std::string Canonical(std::string_view name) {
  std::string lower;
  for (char c : name) {
    if (c != '-' && c != '_' && c != ' ') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (lower == "gbk" || lower == "gb2312" || lower == "cp936" || lower == "gb18030" || lower == "windows936") return "GB18030";
  if (lower == "utf8") return "UTF-8";
  return std::string(name);
}

Status Undecodable(const std::string& tried) {
  return Status::Invalid("text.undecodable",
                         "the file is not UTF-8 and not readable as " + tried + "; save it as CSV UTF-8, or name its encoding",
                         "文件既不是 UTF-8，也无法按 " + tried + " 读取；请另存为 CSV UTF-8，或指明其编码", "encoding");
}

}  // namespace

bool IsUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto t = static_cast<unsigned char>(s[i + k]);
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Result<DecodedText> DecodeToUtf8(std::string_view bytes, std::string_view declared) {
  DecodedText out;
  if (!declared.empty()) {
    std::string name = Canonical(declared);
    UErrorCode st = U_ZERO_ERROR;
    std::unique_ptr<UConverter, ConverterCloser> probe(ucnv_open(name.c_str(), &st));
    if (U_FAILURE(st)) {
      return Status::Invalid("text.encoding", "unknown encoding '" + std::string(declared) + "' (e.g. UTF-8, GB18030, GBK, Big5, UTF-16LE)",
                             "未知编码 '" + std::string(declared) + "'（例如 UTF-8、GB18030、GBK、Big5、UTF-16LE）", "encoding");
    }
    const char* canonical = ucnv_getName(probe.get(), &st);
    out.encoding = name == "UTF-8" || name == "GB18030" || !U_SUCCESS(st) ? name : canonical;
    std::string_view body = bytes;
    if (out.encoding == "UTF-8" && body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3), out.bom = true;
    if (out.encoding == "UTF-8") {
      if (!IsUtf8(body)) return Undecodable("UTF-8");
      out.text.assign(body);
      return out;
    }
    if (!Convert(body, name.c_str(), &out.text)) return Undecodable(out.encoding);
    if (out.text.substr(0, 3) == "\xEF\xBB\xBF") out.text.erase(0, 3), out.bom = true;
    return out;
  }
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
    out.bom = true;
    bytes.remove_prefix(3);
    if (!IsUtf8(bytes)) return Undecodable("UTF-8 (it begins with a UTF-8 byte-order mark)");
    out.encoding = "UTF-8";
    out.text.assign(bytes);
    return out;
  }
  if (bytes.size() >= 2 && (bytes.substr(0, 2) == "\xFF\xFE" || bytes.substr(0, 2) == "\xFE\xFF")) {
    out.bom = true;
    out.encoding = bytes[0] == '\xFF' ? "UTF-16LE" : "UTF-16BE";
    if (!Convert(bytes.substr(2), out.encoding.c_str(), &out.text)) return Undecodable(out.encoding);
    return out;
  }
  if (IsUtf8(bytes)) {
    out.encoding = "UTF-8";
    out.text.assign(bytes);
    return out;
  }
  // Not UTF-8: ask ICU's detector, then try its candidates strictly, best first; GB18030 (what a
  // Chinese Windows calls ANSI) wins a tie and is tried even when the detector did not name it.
  UErrorCode st = U_ZERO_ERROR;
  std::unique_ptr<UCharsetDetector, DetectorCloser> det(ucsdet_open(&st));
  std::vector<std::pair<std::string, int>> candidates;
  if (U_SUCCESS(st)) {
    ucsdet_setText(det.get(), bytes.data(), static_cast<int32_t>(bytes.size()), &st);
    int32_t found = 0;
    const UCharsetMatch** matches = U_SUCCESS(st) ? ucsdet_detectAll(det.get(), &found, &st) : nullptr;
    for (int32_t i = 0; matches && U_SUCCESS(st) && i < found; ++i) {
      UErrorCode ms = U_ZERO_ERROR;
      const char* name = ucsdet_getName(matches[i], &ms);
      int conf = ucsdet_getConfidence(matches[i], &ms);
      if (U_SUCCESS(ms) && name) candidates.emplace_back(name, conf);
    }
  }
  // Single-byte guesses (ISO-8859-*, windows-125*) decode any bytes, so a multi-byte encoding the
  // detector gives any credence comes before them; among equals GB18030 first.
  auto multi = [](const std::string& name) {
    return name == "GB18030" || name == "Big5" || name == "Shift_JIS" || name == "EUC-JP" || name == "EUC-KR";
  };
  auto rank = [&](const std::pair<std::string, int>& c) {
    return std::make_tuple(multi(c.first) && c.second >= 10 ? 1 : 0, c.second, c.first == "GB18030" ? 1 : 0);
  };
  // UTF-16/32 without a BOM is not what spreadsheets write; a single-byte guess the detector
  // is unsure of (under 30) would turn any junk into text.
  std::erase_if(candidates, [&](const auto& c) { return c.first.rfind("UTF-", 0) == 0 || (!multi(c.first) && c.second < 30); });
  std::stable_sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) { return rank(a) > rank(b); });
  if (std::none_of(candidates.begin(), candidates.end(), [](const auto& c) { return c.first == "GB18030"; })) {
    candidates.emplace_back("GB18030", 0);
  }
  for (const auto& [name, conf] : candidates) {
    if (name == "UTF-8") continue;  // already refused above
    if (Convert(bytes, name.c_str(), &out.text, true, !multi(name))) {
      out.encoding = name;
      out.confidence = conf;
      return out;
    }
  }
  return Undecodable("GB18030, Big5 or another detected encoding");
}

}  // namespace keel
