// The syntax tree shared by the stages (parser → checker → folding → evaluator). Nodes live in
// one vector and refer to each other by index. Internal to the formula part.
#pragma once

#include <cstdint>
#include <string>
#include <memory>
#include <string_view>
#include <vector>

#include "formula/lexer.h"
#include "formula/value.h"

namespace keel::formula {

enum class NodeKind { kLiteral, kField, kUnary, kBinary, kCall };

struct Node {
  NodeKind kind;
  int pos = 0, len = 0;
  Tok op = Tok::kEnd;        // kUnary / kBinary
  std::string name;          // kField / kCall as written
  int field = -1;            // kField: index into the FieldInfo list
  int function = -1;         // kCall: index into the builtin table
  std::vector<int> args;     // children
  Value literal;             // kLiteral (text points into Program::strings)
  Type type = Type::kAny;    // set by the checker
};

struct Program {
  std::vector<Node> nodes;
  int root = -1;
  std::vector<std::unique_ptr<std::string>> strings;  // stable storage for text literals
  std::string_view Intern(std::string s) {
    strings.push_back(std::make_unique<std::string>(std::move(s)));
    return *strings.back();
  }
};

// Stage 2: tokens → tree. Fails with "formula.syntax" at a position.
Status Parse(const std::vector<Token>& tokens, Program& program);

}  // namespace keel::formula
