// Stage 1: source text → tokens with byte positions. Internal to the formula part.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace keel::formula {

enum class Tok {
  kNumber, kString, kIdent, kTrue, kFalse, kNull, kAnd, kOr, kNot,
  kPlus, kMinus, kStar, kSlash, kCaret, kAmp, kEq, kNe, kLt, kLe, kGt, kGe,
  kLParen, kRParen, kComma, kEnd,
};

struct Token {
  Tok kind;
  int pos;             // byte offset in the source
  int len;
  std::string text;    // identifier (as written), string contents (unescaped)
  double number = 0;
};

// Fails with "formula.syntax" at the offending position.
Result<std::vector<Token>> Lex(std::string_view src);
Status SyntaxError(int pos, const std::string& en, const std::string& zh);

}  // namespace keel::formula
