#include "formula/formula.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/time.h"
#include "support/test_db.h"

namespace keel::formula {
namespace {

const std::vector<FieldInfo> kFields = {
    {"amount", Type::kNumber}, {"discount", Type::kNumber}, {"qty", Type::kNumber},
    {"name", Type::kText},     {"stage", Type::kText},      {"is_key", Type::kBool},
    {"notes", Type::kText},    {"close_date", Type::kDate}, {"created_at", Type::kDateTime},
    {"missing", Type::kText},
};

std::vector<Value> Record() {
  return {Value::Number(1200.5),
          Value::Number(0.15),
          Value::Number(0),
          Value::Text("上海华庭酒店"),
          Value::Text("won"),
          Value::Bool(true),
          Value::Text("客户关注一级能效，竞品在做活动"),
          Value::Date(*ParseDate("2026-11-20")),
          Value::DateTime(*ParseTimestamp("2026-11-01T02:00:00Z")),
          Value::Blank()};
}

std::string Render(const Value& v) {
  switch (v.type) {
    case Type::kText: {
      std::string out = "'";
      for (char c : v.text) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    }
    case Type::kBlank: return "BLANK";
    case Type::kDate:
    case Type::kDateTime: return "@" + v.ToString();
    default: return v.ToString();
  }
}

TEST(Formula, CasesFile) {
  std::ifstream in(testing::SourceDir() + "/tests/formula/cases.txt");
  ASSERT_TRUE(in.good());
  std::string line;
  int n = 0, line_no = 0;
  Arena arena;
  EvalContext ctx;
  ctx.now_ms = *ParseTimestamp("2026-11-27T02:00:00Z");
  ctx.tz_offset_minutes = 480;
  ctx.arena = &arena;
  auto record = Record();
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto arrow = line.rfind(" => ");
    ASSERT_NE(arrow, std::string::npos) << "line " << line_no;
    std::string src = line.substr(0, arrow), expect = line.substr(arrow + 4);
    ++n;
    auto f = Formula::Compile(src, kFields);
    if (expect[0] == '!') {
      ASSERT_FALSE(f.ok()) << "line " << line_no << ": " << src << " should not compile";
      std::string got = f.status().code() + f.status().field().substr(7);  // "formula@N" → "@N"
      EXPECT_EQ("!" + got, expect) << "line " << line_no << ": " << src << " → " << f.status().ToString();
      EXPECT_FALSE(f.status().message_zh().empty());
      continue;
    }
    ASSERT_TRUE(f.ok()) << "line " << line_no << ": " << src << " → " << f.status().ToString();
    arena.Reset();
    Value v = f->Eval(record, ctx);
    EXPECT_EQ(Render(v), expect) << "line " << line_no << ": " << src;
  }
  EXPECT_GT(n, 100);
}

TEST(Formula, FoldsConstantsButNotTheClock) {
  auto f = Formula::Compile("amount * (1 + 2 * 3) > 100 * 10", kFields, Type::kBool);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->size(), 5u);  // > ( * (amount, 7), 1000 )
  EXPECT_EQ(f->fields_used(), std::vector<int>{0});
  auto today = Formula::Compile("TODAY() > DATE(2026, 1, 1)", kFields);
  EXPECT_EQ(today->size(), 3u);  // TODAY() stays; DATE(...) folds to a literal
  auto folded_error = Formula::Compile("IFERROR(1 / 0, 5)", kFields);
  EXPECT_EQ(folded_error->size(), 1u);
}

TEST(Formula, ChecksTheResultTypeWhereOneIsNeeded) {
  auto f = Formula::Compile("amount * 2", kFields, Type::kBool);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), "formula.result_type");
  EXPECT_TRUE(Formula::Compile("kind = 'visit' AND duration_min >= 15",
                               {{"kind", Type::kText}, {"duration_min", Type::kNumber}}, Type::kBool).ok());
}

TEST(Formula, EvaluatesWithoutAllocatingOnNumericPaths) {
  auto f = Formula::Compile("IF(amount * (1 - discount) > 1000 AND stage = 'won', ROUND(amount * 0.13, 2), 0)", kFields);
  ASSERT_TRUE(f.ok());
  auto record = Record();
  EvalContext ctx;  // no arena: numeric and comparison paths must not need one
  double sum = 0;
  for (int i = 0; i < 1000; ++i) sum += f->Eval(record, ctx).number;
  EXPECT_NEAR(sum, 1000 * 156.07, 1e-6);
}

TEST(Formula, HostileInputIsAnErrorNotACrash) {
  EXPECT_FALSE(Formula::Compile(std::string(100000, '('), kFields).ok());
  EXPECT_FALSE(Formula::Compile(std::string(5000, '-') + "1", kFields).ok());
  EXPECT_FALSE(Formula::Compile("", kFields).ok());
  EXPECT_FALSE(Formula::Compile("\xff\xfe", kFields).ok());
  std::string long_sum = "1";
  for (int i = 0; i < 60; ++i) long_sum += "+1";
  auto ok = Formula::Compile(long_sum, kFields);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->Eval({}, {}).number, 61);
}

TEST(Formula, EveryEvaluationHasABudgetAndTheArenaStaysBounded) {
  // Fine on ordinary notes; a record whose notes are 40 KiB makes an 80 KiB text: #VALUE!, the
  // arena says so, and the next (ordinary) evaluation on the same arena is fine again.
  auto f = Formula::Compile("LEN(notes & notes) > 10", kFields);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  Arena arena;
  EvalContext ctx;
  ctx.arena = &arena;
  auto record = Record();
  EXPECT_TRUE(f->Eval(record, ctx).boolean);
  EXPECT_FALSE(arena.exceeded());
  std::string big(40 * 1024, 'x');
  record[6] = Value::Text(big);
  Value v = f->Eval(record, ctx);
  EXPECT_TRUE(v.is_error());
  EXPECT_EQ(v.error, ErrorCode::kValue);
  EXPECT_TRUE(arena.exceeded());
  record[6] = Value::Text("短备注");
  EXPECT_FALSE(f->Eval(record, ctx).boolean);
  EXPECT_FALSE(arena.exceeded());
  // Many evaluations on one arena without a Reset: each has its own budget.
  for (int i = 0; i < 5000; ++i) ASSERT_FALSE(f->Eval(Record(), ctx).is_error());
  // The issue's probe: eight nested SUBSTITUTEs over a field would need gigabytes; refused when
  // saved, with the code the API turns into a 422.
  std::string nested = "name";
  for (int i = 0; i < 8; ++i) nested = "SUBSTITUTE(" + nested + ", 'a', 'aaaaaaaa')";
  auto costly = Formula::Compile(nested, kFields);
  ASSERT_FALSE(costly.ok());
  EXPECT_EQ(costly.status().code(), "formula.too_costly");
  EXPECT_EQ(costly.status().kind(), ErrorKind::kUnprocessable);
}

TEST(Formula, CatalogueDocumentsEveryFunctionInBothLanguages) {
  auto cat = FunctionCatalogue();
  EXPECT_GE(cat.size(), 36u);
  for (const auto& fn : cat) {
    EXPECT_FALSE(fn.en.empty()) << fn.name;
    EXPECT_FALSE(fn.zh.empty()) << fn.name;
    EXPECT_NE(fn.signature.find(fn.name), std::string::npos) << fn.name;
    // Every example compiles against a permissive schema of the fields the examples use.
    std::vector<FieldInfo> any = {
        {"amount", Type::kNumber}, {"discount", Type::kNumber}, {"price", Type::kNumber}, {"qty", Type::kNumber},
        {"score", Type::kNumber}, {"won", Type::kNumber}, {"total", Type::kNumber}, {"forecast", Type::kNumber},
        {"actual", Type::kNumber}, {"target", Type::kNumber}, {"revenue", Type::kNumber},
        {"stage", Type::kText}, {"kind", Type::kText}, {"notes", Type::kText}, {"code", Type::kText},
        {"phone", Type::kText}, {"sku", Type::kText}, {"email", Type::kText}, {"name", Type::kText},
        {"category_path", Type::kText}, {"closed_at", Type::kDateTime}, {"ordered_at", Type::kDateTime},
        {"expected_close", Type::kDate}, {"created_at", Type::kDateTime}, {"first_response_at", Type::kDateTime},
        {"occurred_at", Type::kDateTime}, {"period_start", Type::kDate}};
    auto f = Formula::Compile(fn.example, any);
    EXPECT_TRUE(f.ok()) << fn.name << " example '" << fn.example << "': " << f.status().ToString();
  }
}

}  // namespace
}  // namespace keel::formula
