#include "org/conditions.h"

namespace keel::org {

using json = nlohmann::json;

namespace {

formula::Type TypeOf(domain::FieldType t) {
  switch (t) {
    case domain::FieldType::kRef:
    case domain::FieldType::kInt:
    case domain::FieldType::kNumber:
    case domain::FieldType::kMoney: return formula::Type::kNumber;
    case domain::FieldType::kBool: return formula::Type::kBool;
    case domain::FieldType::kDate: return formula::Type::kDate;
    case domain::FieldType::kTimestamp: return formula::Type::kDateTime;
    default: return formula::Type::kText;
  }
}

bool Usable(const domain::FieldDef& f) {
  return !f.hidden && f.type != domain::FieldType::kJson && f.type != domain::FieldType::kPassword;
}

bool Eval(const formula::Formula& f, const std::vector<formula::Value>& vals, TimeMs now) {
  formula::Arena arena;
  formula::EvalContext ctx;
  ctx.now_ms = now;
  ctx.arena = &arena;
  formula::Value v = f.Eval(vals, ctx);
  return v.type == formula::Type::kBool && v.boolean;
}

}  // namespace

std::vector<formula::FieldInfo> FormulaFields(const domain::EntityDef& e, bool lines) {
  std::vector<formula::FieldInfo> out = {{"id", formula::Type::kNumber}};
  for (const auto& f : e.fields) {
    if (Usable(f)) out.push_back({f.name, TypeOf(f.type)});
  }
  if (lines && e.child) {
    for (const auto& f : e.child->fields) {
      if (Usable(f)) out.push_back({"line_" + f.name, TypeOf(f.type)});
    }
    out.push_back({"line_category", formula::Type::kText});
    out.push_back({"line_sku", formula::Type::kText});
  }
  return out;
}

formula::Value ValueOf(const json& v, formula::Type t) {
  if (v.is_null()) return formula::Value::Blank();
  switch (t) {
    case formula::Type::kNumber: return v.is_number() ? formula::Value::Number(v.get<double>()) : formula::Value::Blank();
    case formula::Type::kBool: return v.is_boolean() ? formula::Value::Bool(v.get<bool>()) : formula::Value::Blank();
    case formula::Type::kDate: {
      auto d = v.is_string() ? ParseDate(v.get<std::string>()) : Result<int64_t>(Status::Internal(""));
      return d.ok() ? formula::Value::Date(*d) : formula::Value::Blank();
    }
    case formula::Type::kDateTime: {
      auto t2 = v.is_string() ? ParseTimestamp(v.get<std::string>()) : Result<TimeMs>(Status::Internal(""));
      return t2.ok() ? formula::Value::DateTime(*t2) : formula::Value::Blank();
    }
    default: return v.is_string() ? formula::Value::Text(v.get_ref<const std::string&>()) : formula::Value::Blank();
  }
}

Result<formula::Formula> Condition(const domain::EntityDef& e, const std::string& src, const std::string& field, bool lines) {
  auto f = formula::Formula::Compile(src, FormulaFields(e, lines), formula::Type::kBool);
  if (!f.ok()) return f.status().WithField(field);
  return f;
}

bool Holds(const domain::EntityDef& e, const std::string& src, const json& record, TimeMs now) {
  if (src.empty()) return true;
  auto f = Condition(e, src, "");
  if (!f.ok()) return false;
  auto fields = FormulaFields(e);
  // Text values point into the JSON they came from: keep it alive through the evaluation.
  std::vector<json> held;
  held.reserve(fields.size());
  std::vector<formula::Value> vals;
  for (const auto& fi : fields) {
    held.push_back(record.value(fi.name, json()));
    vals.push_back(ValueOf(held.back(), fi.type));
  }
  return Eval(*f, vals, now);
}

bool HoldsOnAnyLine(const domain::EntityDef& e, const formula::Formula& f, const json& record, TimeMs now) {
  auto fields = FormulaFields(e, true);
  static const json kNoLine = json::object();
  std::vector<json> held;  // text values point into these: they outlive each evaluation
  auto values = [&](const json& line) {
    held.clear();
    held.reserve(fields.size());
    std::vector<formula::Value> vals;
    for (const auto& fi : fields) {
      bool of_line = fi.name.rfind("line_", 0) == 0 && e.child;
      held.push_back(of_line ? line.value(fi.name.substr(5), json()) : record.value(fi.name, json()));
      vals.push_back(ValueOf(held.back(), fi.type));
    }
    return vals;
  };
  const json* lines = record.contains("lines") && record["lines"].is_array() ? &record["lines"] : nullptr;
  if (lines == nullptr || lines->empty()) return Eval(f, values(kNoLine), now);
  for (const auto& line : *lines) {
    if (Eval(f, values(line.is_object() ? line : kNoLine), now)) return true;
  }
  return false;
}

}  // namespace keel::org
