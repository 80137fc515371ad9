// Stage 2: a precedence-climbing parser. Operator precedence is a table (as Lua's priority[]).
#include "formula/ast.h"

namespace keel::formula {
namespace {

// Binary operators: left and right binding power (right > left means left-associative).
struct Priority {
  Tok op;
  int left, right;
};
constexpr Priority kPriority[] = {
    {Tok::kOr, 1, 2},    {Tok::kAnd, 3, 4},   {Tok::kEq, 7, 8},     {Tok::kNe, 7, 8},
    {Tok::kLt, 7, 8},    {Tok::kLe, 7, 8},    {Tok::kGt, 7, 8},     {Tok::kGe, 7, 8},
    {Tok::kAmp, 9, 10},  {Tok::kPlus, 11, 12}, {Tok::kMinus, 11, 12}, {Tok::kStar, 13, 14},
    {Tok::kSlash, 13, 14}, {Tok::kCaret, 16, 15},  // ^ is right-associative
};
constexpr int kNotPriority = 5;     // NOT binds looser than comparisons: NOT a = b is NOT (a = b)
constexpr int kUnaryPriority = 15;  // -x binds tighter than * but looser than ^: -2^2 = -4
constexpr int kMaxDepth = 64;

const Priority* Find(Tok t) {
  for (const auto& p : kPriority) {
    if (p.op == t) return &p;
  }
  return nullptr;
}

class Parser {
 public:
  Parser(const std::vector<Token>& t, Program& p) : t_(t), p_(p) {}

  // formula := expr END
  Status Run() {
    auto root = Expr(0, 0);
    if (!root.ok()) return root.status();
    if (Peek().kind != Tok::kEnd) {
      return SyntaxError(Peek().pos, "unexpected '" + Peek().text + "' after the end of the expression",
                         "表达式结束后出现多余的 '" + Peek().text + "'");
    }
    p_.root = *root;
    return Status();
  }

 private:
  const Token& Peek() const { return t_[i_]; }
  const Token& Next() { return t_[i_++]; }

  int Add(Node n) {
    p_.nodes.push_back(std::move(n));
    return static_cast<int>(p_.nodes.size() - 1);
  }

  // expr := unary { binop expr }   (climbing by the priority table)
  Result<int> Expr(int min_priority, int depth) {
    if (depth > kMaxDepth) return SyntaxError(Peek().pos, "formula is nested too deeply", "公式嵌套过深");
    KEEL_ASSIGN_OR_RETURN(int left, Unary(depth));
    while (true) {
      const Priority* pr = Find(Peek().kind);
      if (!pr || pr->left <= min_priority) return left;
      Token op = Next();
      KEEL_ASSIGN_OR_RETURN(int right, Expr(pr->right, depth + 1));
      Node n{NodeKind::kBinary};
      n.pos = op.pos;
      n.len = op.len;
      n.op = op.kind;
      n.args = {left, right};
      left = Add(std::move(n));
    }
  }

  // unary := ('-' | '+') unary | NOT expr | primary
  Result<int> Unary(int depth) {
    if (depth > kMaxDepth) return SyntaxError(Peek().pos, "formula is nested too deeply", "公式嵌套过深");
    const Token& t = Peek();
    if (t.kind == Tok::kMinus || t.kind == Tok::kPlus || t.kind == Tok::kNot) {
      Token op = Next();
      KEEL_ASSIGN_OR_RETURN(int arg, Expr(op.kind == Tok::kNot ? kNotPriority : kUnaryPriority, depth + 1));
      if (op.kind == Tok::kPlus) return arg;
      Node n{NodeKind::kUnary};
      n.pos = op.pos;
      n.len = op.len;
      n.op = op.kind;
      n.args = {arg};
      return Add(std::move(n));
    }
    return Primary(depth);
  }

  // primary := NUMBER | STRING | TRUE | FALSE | NULL | '(' expr ')' | IDENT [ '(' [expr {',' expr}] ')' ]
  Result<int> Primary(int depth) {
    Token t = Next();
    Node n{NodeKind::kLiteral};
    n.pos = t.pos;
    n.len = t.len;
    switch (t.kind) {
      case Tok::kNumber: n.literal = Value::Number(t.number); return Add(std::move(n));
      case Tok::kString: n.literal = Value::Text(p_.Intern(t.text)); return Add(std::move(n));
      case Tok::kTrue: n.literal = Value::Bool(true); return Add(std::move(n));
      case Tok::kFalse: n.literal = Value::Bool(false); return Add(std::move(n));
      case Tok::kNull: n.literal = Value::Blank(); return Add(std::move(n));
      case Tok::kLParen: {
        KEEL_ASSIGN_OR_RETURN(int inner, Expr(0, depth + 1));
        if (Peek().kind != Tok::kRParen) {
          return SyntaxError(Peek().pos, "expected ')' to close the '(' at position " + std::to_string(t.pos + 1),
                             "缺少与位置 " + std::to_string(t.pos + 1) + " 的 '(' 匹配的 ')'");
        }
        Next();
        return inner;
      }
      case Tok::kIdent: {
        if (Peek().kind != Tok::kLParen) {
          n.kind = NodeKind::kField;
          n.name = t.text;
          return Add(std::move(n));
        }
        return Call(t, n, depth);
      }
      case Tok::kAnd:
      case Tok::kOr:
        if (Peek().kind == Tok::kLParen) {  // AND(a, b) / OR(a, b) in function form
          Token fn = t;
          fn.kind = Tok::kIdent;
          fn.text = t.kind == Tok::kAnd ? "AND" : "OR";
          return Call(fn, n, depth);
        }
        return SyntaxError(t.pos, "unexpected '" + t.text + "'", "此处不应出现 '" + t.text + "'");
      case Tok::kEnd:
        return SyntaxError(t.pos, "the formula ends too early", "公式不完整");
      default:
        return SyntaxError(t.pos, "unexpected '" + t.text + "'", "此处不应出现 '" + t.text + "'");
    }
  }

  // call := IDENT '(' [expr {',' expr}] ')'   — the IDENT and '(' are already consumed/peeked
  Result<int> Call(const Token& name, Node n, int depth) {
    Next();  // '('
    n.kind = NodeKind::kCall;
    n.name = name.text;
    if (Peek().kind != Tok::kRParen) {
      while (true) {
        KEEL_ASSIGN_OR_RETURN(int arg, Expr(0, depth + 1));
        n.args.push_back(arg);
        if (Peek().kind != Tok::kComma) break;
        Next();
      }
    }
    if (Peek().kind != Tok::kRParen) {
      return SyntaxError(Peek().pos, "expected ',' or ')' in the call of " + name.text,
                         "调用 " + name.text + " 时缺少 ',' 或 ')'");
    }
    Next();
    n.len = t_[i_ - 1].pos + 1 - name.pos;
    return Add(std::move(n));
  }

  const std::vector<Token>& t_;
  Program& p_;
  size_t i_ = 0;
};

}  // namespace

Status Parse(const std::vector<Token>& tokens, Program& program) {
  return Parser(tokens, program).Run();
}

}  // namespace keel::formula
