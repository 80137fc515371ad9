#include "formula/lexer.h"

#include <cctype>
#include <cstring>
#include <cstdlib>

namespace keel::formula {

Status SyntaxError(int pos, const std::string& en, const std::string& zh) {
  return Status::Invalid("formula.syntax", en + " at position " + std::to_string(pos + 1),
                         zh + "（位置 " + std::to_string(pos + 1) + "）", "formula@" + std::to_string(pos));
}

namespace {

bool IdentStart(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool IdentPart(unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c >= 0x80; }

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<std::vector<Token>> Lex(std::string_view src) {
  std::vector<Token> out;
  if (src.size() > 8192) return SyntaxError(0, "formula is longer than 8192 bytes", "公式超过 8192 字节");
  size_t i = 0;
  while (true) {
    while (i < src.size() && std::isspace(static_cast<unsigned char>(src[i]))) ++i;
    int pos = static_cast<int>(i);
    if (i >= src.size()) {
      out.push_back({Tok::kEnd, pos, 0, {}});
      return out;
    }
    unsigned char c = src[i];
    auto one = [&](Tok k, int n = 1) {
      out.push_back({k, pos, n, std::string(src.substr(i, n))});
      i += n;
    };
    if (std::isdigit(c) || (c == '.' && i + 1 < src.size() && std::isdigit(static_cast<unsigned char>(src[i + 1])))) {
      size_t j = i;
      while (j < src.size() && (std::isdigit(static_cast<unsigned char>(src[j])) || src[j] == '.')) ++j;
      if (j < src.size() && (src[j] == 'e' || src[j] == 'E')) {
        size_t k = j + 1;
        if (k < src.size() && (src[k] == '+' || src[k] == '-')) ++k;
        if (k < src.size() && std::isdigit(static_cast<unsigned char>(src[k]))) {
          j = k;
          while (j < src.size() && std::isdigit(static_cast<unsigned char>(src[j]))) ++j;
        }
      }
      std::string text(src.substr(i, j - i));
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (*end != '\0') return SyntaxError(pos, "malformed number '" + text + "'", "数字格式错误 '" + text + "'");
      // A duration literal: a number followed directly by s, m, h, d or w (30s, 15m, 2h, 1d,
      // 4w) is that many milliseconds, for the window arguments of the alert functions.
      if (j < src.size() && src[j] != '\0' && std::strchr("smhdw", src[j]) != nullptr &&
          (j + 1 >= src.size() || !(std::isalnum(static_cast<unsigned char>(src[j + 1])) || src[j + 1] == '_'))) {
        static constexpr double kUnitMs[] = {1000.0, 60000.0, 3600000.0, 86400000.0, 604800000.0};
        v *= kUnitMs[std::strchr("smhdw", src[j]) - "smhdw"];
        text += src[j];
        ++j;
      }
      Token t{Tok::kNumber, pos, static_cast<int>(j - i), text};
      t.number = v;
      out.push_back(t);
      i = j;
      continue;
    }
    if (c == '\'' || c == '"') {
      char quote = static_cast<char>(c);
      std::string s;
      size_t j = i + 1;
      bool closed = false;
      while (j < src.size()) {
        if (src[j] == quote) {
          if (j + 1 < src.size() && src[j + 1] == quote) {  // doubled quote = literal quote
            s += quote;
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        s += src[j++];
      }
      if (!closed) return SyntaxError(pos, "unterminated text literal", "文本缺少结束引号");
      out.push_back({Tok::kString, pos, static_cast<int>(j - i), s});
      i = j;
      continue;
    }
    if (IdentStart(c)) {
      size_t j = i;
      while (j < src.size() && IdentPart(static_cast<unsigned char>(src[j]))) ++j;
      std::string word(src.substr(i, j - i));
      std::string up = Upper(word);
      Tok k = up == "AND" ? Tok::kAnd : up == "OR" ? Tok::kOr : up == "NOT" ? Tok::kNot
            : up == "TRUE" ? Tok::kTrue : up == "FALSE" ? Tok::kFalse : up == "NULL" ? Tok::kNull
            : Tok::kIdent;
      out.push_back({k, pos, static_cast<int>(j - i), word});
      i = j;
      continue;
    }
    switch (c) {
      case '+': one(Tok::kPlus); continue;
      case '-': one(Tok::kMinus); continue;
      case '*': one(Tok::kStar); continue;
      case '/': one(Tok::kSlash); continue;
      case '^': one(Tok::kCaret); continue;
      case '&':
        if (i + 1 < src.size() && src[i + 1] == '&') { one(Tok::kAnd, 2); continue; }
        one(Tok::kAmp); continue;
      case '|':
        if (i + 1 < src.size() && src[i + 1] == '|') { one(Tok::kOr, 2); continue; }
        break;
      case '(': one(Tok::kLParen); continue;
      case ')': one(Tok::kRParen); continue;
      case ',': one(Tok::kComma); continue;
      case '=':
        one(Tok::kEq, i + 1 < src.size() && src[i + 1] == '=' ? 2 : 1); continue;
      case '!':
        if (i + 1 < src.size() && src[i + 1] == '=') { one(Tok::kNe, 2); continue; }
        break;
      case '<':
        if (i + 1 < src.size() && src[i + 1] == '>') { one(Tok::kNe, 2); continue; }
        if (i + 1 < src.size() && src[i + 1] == '=') { one(Tok::kLe, 2); continue; }
        one(Tok::kLt); continue;
      case '>':
        if (i + 1 < src.size() && src[i + 1] == '=') { one(Tok::kGe, 2); continue; }
        one(Tok::kGt); continue;
      default: break;
    }
    return SyntaxError(pos, std::string("unexpected character '") + static_cast<char>(c) + "'",
                       std::string("无法识别的字符 '") + static_cast<char>(c) + "'");
  }
}

}  // namespace keel::formula
