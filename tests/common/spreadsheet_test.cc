// Export files (common/spreadsheet.h): CSV as Excel and WPS read it, formula-safe; XLSX whose
// worksheet holds the cells as typed (text as text, never a formula), read back with zlib.
#include "common/spreadsheet.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>

namespace keel {
namespace {

TEST(SpreadsheetTest, CsvTextThatASpreadsheetWouldRunIsKeptAsText) {
  const std::pair<std::string, std::string> cases[] = {
      {"=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"},
      {"+1+1", "'+1+1"},
      {"-2", "'-2"},
      {"@SUM(1)", "'@SUM(1)"},
      {"\tx", "'\tx"},
      {"\rx", "'\rx"},
      {"华东 = 第一", "华东 = 第一"},
      {"", ""},
      {"a-b", "a-b"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(CsvSafeText(in), out) << in;
}

TEST(SpreadsheetTest, CsvHasABomCrlfAndQuotesWhatNeedsIt) {
  auto w = SheetWriter::Open("csv", "x");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddRow({std::string("id"), std::string("name"), std::string("amount"), std::string("ok"), std::string("note")}).ok());
  ASSERT_TRUE((*w)->AddRow({int64_t{7}, std::string("海尔, 空调"), 1234.5, true, std::monostate{}}).ok());
  ASSERT_TRUE((*w)->AddRow({int64_t{8}, std::string("=1+1"), -0.35, false, std::string("说 \"好\"\n第二行")}).ok());
  ASSERT_TRUE((*w)->AddRow({int64_t{9}, std::string(" edge "), 0.1 + 0.2, false, std::string("plain")}).ok());
  auto bytes = (*w)->Finish();
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes,
            "\xEF\xBB\xBF"
            "id,name,amount,ok,note\r\n"
            "7,\"海尔, 空调\",1234.5,true,\r\n"
            "8,\"'=1+1\",-0.35,false,\"说 \"\"好\"\"\n第二行\"\r\n"
            "9,\" edge \",0.30000000000000004,false,plain\r\n");
}

TEST(SpreadsheetTest, UnknownFormatIsA400OnFormat) {
  auto w = SheetWriter::Open("pdf", "x");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), "validation.parameter");
  EXPECT_EQ(w.status().field(), "format");
  EXPECT_STREQ(SheetWriter::MediaType("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

uint32_t U32(const std::string& s, size_t at) {
  uint32_t v;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}
uint16_t U16(const std::string& s, size_t at) {
  uint16_t v;
  std::memcpy(&v, s.data() + at, 2);
  return v;
}

// The uncompressed bytes of `name` in the ZIP archive `zip` (through its central directory).
std::string Unzip(const std::string& zip, const std::string& name) {
  size_t eocd = zip.rfind(std::string("PK\x05\x06", 4));
  if (eocd == std::string::npos) return "";
  size_t at = U32(zip, eocd + 16);
  const uint16_t entries = U16(zip, eocd + 10);
  for (uint16_t i = 0; i < entries; ++i) {
    const uint16_t method = U16(zip, at + 10), name_len = U16(zip, at + 28), extra = U16(zip, at + 30), comment = U16(zip, at + 32);
    const uint32_t packed = U32(zip, at + 20), size = U32(zip, at + 24), local = U32(zip, at + 42);
    if (zip.compare(at + 46, name_len, name) == 0) {
      size_t data = local + 30 + U16(zip, local + 26) + U16(zip, local + 28);
      if (method == 0) return zip.substr(data, size);
      std::string out(size, '\0');
      z_stream z{};
      inflateInit2(&z, -MAX_WBITS);  // raw deflate
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zip.data() + data));
      z.avail_in = packed;
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = size;
      int rc = inflate(&z, Z_FINISH);
      inflateEnd(&z);
      return rc == Z_STREAM_END ? out : "";
    }
    at += 46 + name_len + extra + comment;
  }
  return "";
}

TEST(SpreadsheetTest, XlsxKeepsTextAsTextAndNumbersAsNumbers) {
  auto w = SheetWriter::Open("xlsx", "opportunities");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->AddRow({std::string("id"), std::string("name"), std::string("amount"), std::string("won")}).ok());
  ASSERT_TRUE((*w)->AddRow({int64_t{42}, std::string("=HYPERLINK(\"http://evil.example\")"), 1234.5, true}).ok());
  ASSERT_TRUE((*w)->AddRow({int64_t{43}, std::string("华东 & <商机>"), std::monostate{}, false}).ok());
  auto bytes = (*w)->Finish();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  ASSERT_EQ(bytes->rfind("PK\x03\x04", 0), 0u) << "a ZIP archive";
  const std::string sheet = Unzip(*bytes, "xl/worksheets/sheet1.xml");
  ASSERT_FALSE(sheet.empty());
  EXPECT_EQ(sheet.find("<f>"), std::string::npos) << "no cell is a formula: " << sheet;
  EXPECT_NE(sheet.find("<t>=HYPERLINK("), std::string::npos) << "the formula's text, as text: " << sheet;
  EXPECT_NE(sheet.find("<v>1234.5</v>"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("<v>42</v>"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("华东 &amp; &lt;商机&gt;"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("t=\"b\""), std::string::npos) << "booleans are booleans: " << sheet;
  const std::string book = Unzip(*bytes, "xl/workbook.xml");
  EXPECT_NE(book.find("name=\"opportunities\""), std::string::npos) << book;
}

}  // namespace
}  // namespace keel
