// libFuzzer target: any bytes as a formula must compile or fail with a positioned error, and a
// compiled formula must evaluate to a value — never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "formula/formula.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace keel::formula;
  static const std::vector<FieldInfo> fields = {
      {"amount", Type::kNumber}, {"name", Type::kText}, {"won", Type::kBool},
      {"day", Type::kDate},      {"at", Type::kDateTime}, {"missing", Type::kText}};
  static const std::vector<Value> record = {Value::Number(12.5), Value::Text("上海华庭"), Value::Bool(true),
                                            Value::Date(20000), Value::DateTime(1764000000000), Value::Blank()};
  auto f = Formula::Compile(std::string_view(reinterpret_cast<const char*>(data), size), fields);
  if (!f.ok()) {
    if (f.status().field().rfind("formula@", 0) != 0) __builtin_trap();  // every error has a position
    return 0;
  }
  Arena arena;
  EvalContext ctx;
  ctx.now_ms = 1764000000000;
  ctx.arena = &arena;
  Value v = f->Eval(record, ctx);
  (void)v.ToString();
  return 0;
}
