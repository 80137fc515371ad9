#include "common/yaml.h"

#include <cstdlib>
#include <string>

#include <yaml-cpp/yaml.h>

namespace keel {
namespace {

using json = nlohmann::json;

json Scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  char* end = nullptr;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() && *end == '\0' && (s[0] != '0' || s.size() == 1)) return i;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() && *end == '\0' && s.find_first_of("0123456789") != std::string::npos &&
      s.find_first_not_of("0123456789.eE+-") == std::string::npos) {
    return d;
  }
  return s;
}

json Convert(const YAML::Node& n, int depth) {
  if (depth > 32) throw YAML::ParserException(n.Mark(), "nested deeper than 32 levels");
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Scalar: return Scalar(n);
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(Convert(e, depth + 1));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = Convert(kv.second, depth + 1);
      return o;
    }
  }
  return nullptr;
}

Status YamlError(const YAML::Exception& e) {
  std::string where = "yaml@" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
  return Status::Invalid("yaml.syntax", "YAML error: " + e.msg, "YAML 格式错误：" + e.msg, where);
}

}  // namespace

Result<json> JsonFromYaml(std::string_view text) {
  try {
    return Convert(YAML::Load(std::string(text)), 0);
  } catch (const YAML::Exception& e) {
    return YamlError(e);
  }
}

Result<std::vector<json>> JsonDocumentsFromYaml(std::string_view text) {
  try {
    std::vector<json> out;
    for (const auto& doc : YAML::LoadAll(std::string(text))) {
      json j = Convert(doc, 0);
      if (j.is_array()) {
        for (auto& e : j) out.push_back(std::move(e));
      } else if (!j.is_null()) {
        out.push_back(std::move(j));
      }
    }
    return out;
  } catch (const YAML::Exception& e) {
    return YamlError(e);
  }
}

}  // namespace keel
