// Stage 3: name resolution and type inference, with the position of every error.
#include <algorithm>
#include <cctype>

#include "formula/internal.h"

namespace keel::formula {
namespace {

Status TypeError(const Node& n, const std::string& en, const std::string& zh, const char* code = "formula.type") {
  return Status::Invalid(code, en + " at position " + std::to_string(n.pos + 1),
                         zh + "（位置 " + std::to_string(n.pos + 1) + "）", "formula@" + std::to_string(n.pos));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsNumeric(Type t) { return Compatible(t, Type::kNumber); }
bool IsTime(Type t) { return t == Type::kDate || t == Type::kDateTime; }

const char* OpText(Tok t) {
  switch (t) {
    case Tok::kPlus: return "+";
    case Tok::kMinus: return "-";
    case Tok::kStar: return "*";
    case Tok::kSlash: return "/";
    case Tok::kCaret: return "^";
    case Tok::kAmp: return "&";
    case Tok::kEq: return "=";
    case Tok::kNe: return "<>";
    case Tok::kLt: return "<";
    case Tok::kLe: return "<=";
    case Tok::kGt: return ">";
    case Tok::kGe: return ">=";
    case Tok::kAnd: return "AND";
    case Tok::kOr: return "OR";
    case Tok::kNot: return "NOT";
    default: return "?";
  }
}

Result<Type> BinaryType(const Node& n, Type l, Type r) {
  std::string sig = std::string(TypeName(l)) + " " + OpText(n.op) + " " + std::string(TypeName(r));
  auto bad = [&] {
    return TypeError(n, std::string("cannot apply ") + OpText(n.op) + " to " + sig,
                     std::string("运算符 ") + OpText(n.op) + " 不能用于 " + sig);
  };
  switch (n.op) {
    case Tok::kPlus:
      if (IsTime(l) && IsNumeric(r)) return l;
      if (IsNumeric(l) && IsTime(r)) return r;
      if (IsNumeric(l) && IsNumeric(r)) return Type::kNumber;
      return bad();
    case Tok::kMinus:
      if (IsTime(l) && IsTime(r)) return Type::kNumber;  // days between
      if (IsTime(l) && IsNumeric(r)) return l;
      if (IsNumeric(l) && IsNumeric(r)) return Type::kNumber;
      return bad();
    case Tok::kStar: case Tok::kSlash: case Tok::kCaret:
      if (IsNumeric(l) && IsNumeric(r)) return Type::kNumber;
      return bad();
    case Tok::kAmp:
      return Type::kText;
    case Tok::kEq: case Tok::kNe: case Tok::kLt: case Tok::kLe: case Tok::kGt: case Tok::kGe:
      if (Compatible(l, r) || Compatible(r, l) || (IsTime(l) && IsTime(r))) return Type::kBool;
      return bad();
    case Tok::kAnd: case Tok::kOr:
      if (Compatible(l, Type::kBool) && Compatible(r, Type::kBool)) return Type::kBool;
      return bad();
    default:
      return bad();
  }
}

}  // namespace

bool Compatible(Type have, Type want) {
  return have == want || have == Type::kAny || have == Type::kBlank || want == Type::kAny;
}

Status Check(Program& p, const std::vector<FieldInfo>& fields) {
  // Children always precede their parent in `nodes`, so one forward pass is post-order.
  for (Node& n : p.nodes) {
    switch (n.kind) {
      case NodeKind::kLiteral:
        n.type = n.literal.type;
        break;
      case NodeKind::kField: {
        for (size_t i = 0; i < fields.size(); ++i) {
          if (EqualsIgnoreCase(fields[i].name, n.name)) {
            n.field = static_cast<int>(i);
            n.type = fields[i].type;
          }
        }
        if (n.field < 0) {
          std::string known;
          for (size_t i = 0; i < fields.size() && i < 30; ++i) known += (i ? ", " : "") + fields[i].name;
          return TypeError(n, "unknown field '" + n.name + "' (known: " + known + ")",
                           "未知字段 '" + n.name + "'（可用字段：" + known + "）", "formula.unknown_field");
        }
        break;
      }
      case NodeKind::kUnary: {
        Type a = p.nodes[n.args[0]].type;
        if (n.op == Tok::kNot) {
          if (!Compatible(a, Type::kBool)) {
            return TypeError(n, "NOT needs a true/false value, not " + std::string(TypeName(a)),
                             "NOT 需要布尔值，而不是 " + std::string(TypeName(a)));
          }
          n.type = Type::kBool;
        } else {
          if (!IsNumeric(a)) {
            return TypeError(n, "'-' needs a number, not " + std::string(TypeName(a)),
                             "负号需要数值，而不是 " + std::string(TypeName(a)));
          }
          n.type = Type::kNumber;
        }
        break;
      }
      case NodeKind::kBinary: {
        KEEL_ASSIGN_OR_RETURN(n.type, BinaryType(n, p.nodes[n.args[0]].type, p.nodes[n.args[1]].type));
        break;
      }
      case NodeKind::kCall: {
        n.function = FindBuiltin(n.name);
        if (n.function < 0) {
          return TypeError(n, "unknown function " + n.name + "()", "未知函数 " + n.name + "()",
                           "formula.unknown_function");
        }
        const Builtin& b = Builtins()[n.function];
        int argc = static_cast<int>(n.args.size());
        if (argc < b.min_args || (b.max_args >= 0 && argc > b.max_args)) {
          return TypeError(n, std::string("wrong number of arguments: ") + b.signature,
                           std::string("参数个数不对：") + b.signature, "formula.arity");
        }
        std::vector<Type> types;
        for (int a : n.args) types.push_back(p.nodes[a].type);
        std::string why, why_zh;
        Type t = b.check(types, why, why_zh);
        if (t == Type::kError) {
          return TypeError(n, std::string(b.name) + ": " + why + " — " + b.signature,
                           std::string(b.name) + "：" + why_zh + " — " + b.signature);
        }
        n.type = t;
        break;
      }
    }
  }
  return Status();
}

Status Fold(Program& p) {
  Arena arena;
  EvalContext ctx;
  ctx.arena = &arena;
  for (size_t i = 0; i < p.nodes.size(); ++i) {
    Node& n = p.nodes[i];
    if (n.kind == NodeKind::kLiteral || n.kind == NodeKind::kField) continue;
    if (n.kind == NodeKind::kCall && Builtins()[n.function].volatile_) continue;
    bool constant = std::all_of(n.args.begin(), n.args.end(),
                                [&](int a) { return p.nodes[a].kind == NodeKind::kLiteral; });
    if (!constant) continue;
    arena.Reset();  // the folded literals below are interned: each node has its own budget
    arena.BeginEvaluation();
    Value v = Evaluator(p, {}, ctx).Eval(static_cast<int>(i));
    if (arena.exceeded()) {
      return Status::Error(ErrorKind::kUnprocessable, "formula.too_costly",
                           "this part of the formula makes a text longer than " + std::to_string(Arena::kMaxText / 1024) +
                               " KiB; simplify it (e.g. fewer nested SUBSTITUTE or &)",
                           "公式此处生成的文本超过 " + std::to_string(Arena::kMaxText / 1024) + " KiB，请简化（例如减少嵌套的 SUBSTITUTE 或 &）",
                           "formula@" + std::to_string(n.pos));
    }
    if (v.type == Type::kText) v.text = p.Intern(std::string(v.text));
    Type declared = n.type;
    n.kind = NodeKind::kLiteral;
    n.literal = v;
    n.args.clear();
    n.type = v.type == Type::kBlank || v.type == Type::kError ? declared : v.type;
  }
  return Status();
}

}  // namespace keel::formula
