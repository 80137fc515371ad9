// Shared internals of the formula stages: the builtin table and the evaluator interface.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "formula/ast.h"
#include "formula/formula.h"

namespace keel::formula {

// Evaluates nodes of a checked program; arguments of calls are evaluated on demand (IF, AND …
// are lazy). No heap allocation except through the arena.
class Evaluator {
 public:
  Evaluator(const Program& p, std::span<const Value> fields, const EvalContext& ctx)
      : p_(p), fields_(fields), ctx_(ctx) {}
  Value Eval(int node) const;
  const EvalContext& ctx() const { return ctx_; }
  std::string_view Store(std::string_view s) const;
  char* Allocate(size_t n) const;

 private:
  Value Binary(const Node& n) const;
  const Program& p_;
  std::span<const Value> fields_;
  const EvalContext& ctx_;
};

// What a builtin's implementation sees.
struct Args {
  const Evaluator& ev;
  const Node& node;
  size_t size() const { return node.args.size(); }
  Value operator[](size_t i) const { return ev.Eval(node.args[i]); }
  Type type(size_t i, const Program& p) const { return p.nodes[node.args[i]].type; }
};

struct Builtin {
  const char* name;
  int min_args, max_args;  // max_args -1: any number
  // Checks argument types and returns the result type; on failure returns kError and fills
  // `why` (en) / `why_zh` with which argument is wrong.
  Type (*check)(const std::vector<Type>& args, std::string& why, std::string& why_zh);
  Value (*eval)(const Args& a);
  bool volatile_;          // depends on the clock: never constant-folded
  const char* signature;   // "ROUND(number, [digits])"
  const char* returns;
  const char* en;
  const char* zh;
  const char* example;
};

const std::vector<Builtin>& Builtins();
int FindBuiltin(std::string_view name);  // case-insensitive; -1 when unknown

// Stage 3: resolves fields and functions and infers types; "formula.type",
// "formula.unknown_field", "formula.unknown_function", "formula.arity" at positions.
Status Check(Program& p, const std::vector<FieldInfo>& fields);
// Stage 4: replaces constant subtrees by their value.
Status Fold(Program& p);  // formula.too_costly when a constant part exceeds the evaluation budget

// Helpers shared by the evaluator and the builtins.
bool Compatible(Type have, Type want);  // kAny / kBlank fit anything
double AsNumber(const Value& v, bool* ok);
std::string_view AsText(const Value& v, const Evaluator& ev);
int64_t LocalDay(int64_t millis, int tz_offset_minutes);

}  // namespace keel::formula
