#include "common/yaml.h"

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace keel {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxDepth = 32;
constexpr size_t kMaxNodes = 200000;

// A refusal with the position it was found at; thrown inside the event handler (yaml-cpp calls it
// from its parser) and turned into a Status by the caller.
struct Refused {
  Status status;
};

std::string Where(const YAML::Mark& mark) {
  return "yaml@" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

json TypedScalar(const std::string& tag, const std::string& s) {
  if (tag == "!") return s;  // quoted
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  char* end = nullptr;
  long long i = std::strtoll(s.c_str(), &end, 10);
  if (end != s.c_str() && *end == '\0' && (s[0] != '0' || s.size() == 1)) return i;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() && *end == '\0' && s.find_first_of("0123456789") != std::string::npos &&
      s.find_first_not_of("0123456789.eE+-") == std::string::npos && std::isfinite(d)) {
    return d;
  }
  return s;
}

// Builds JSON straight from the parser's events, so nothing is ever expanded: anchors and aliases
// are refused (an alias is how a few hundred bytes become gigabytes — "billion laughs"), and the
// output has at most one value per event, i.e. it is bounded by the input's size.
class JsonBuilder : public YAML::EventHandler {
 public:
  std::vector<json> documents;

  void OnDocumentStart(const YAML::Mark&) override { stack_.clear(); }
  void OnDocumentEnd() override { documents.push_back(std::move(root_)); root_ = nullptr; }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    CheckAnchor(mark, anchor);
    Value(mark, nullptr, "null");
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { RefuseAlias(mark); }
  void OnAnchor(const YAML::Mark& mark, const std::string&) override { RefuseAlias(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor, const std::string& value) override {
    CheckAnchor(mark, anchor);
    Value(mark, TypedScalar(tag, value), value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::array());
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    Open(mark, anchor, json::object());
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    json value;
    YAML::Mark mark;
    bool has_key = false;
    std::string key;
  };

  [[noreturn]] static void RefuseAlias(const YAML::Mark& mark) {
    throw Refused{Status::Invalid("yaml.alias", "YAML anchors and aliases (&name, *name) are not accepted: write each value out",
                                  "不接受 YAML 锚点与别名（&name、*name）：请直接写出每个值", Where(mark))};
  }
  static void CheckAnchor(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) RefuseAlias(mark);
  }
  void Count(const YAML::Mark& mark) {
    if (++nodes_ > kMaxNodes) {
      throw Refused{Status::Invalid("yaml.too_large", "the YAML document has more than " + std::to_string(kMaxNodes) + " values",
                                    "YAML 文档的值超过 " + std::to_string(kMaxNodes) + " 个", Where(mark))};
    }
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor, json empty) {
    CheckAnchor(mark, anchor);
    Count(mark);
    if (stack_.size() >= kMaxDepth) {
      throw Refused{Status::Invalid("yaml.too_deep", "the YAML document is nested more than " + std::to_string(kMaxDepth) + " levels deep",
                                    "YAML 文档嵌套超过 " + std::to_string(kMaxDepth) + " 层", Where(mark))};
    }
    if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().has_key) {
      throw Refused{Status::Invalid("yaml.key", "a mapping key must be a plain value, not a list or a mapping",
                                    "映射的键须为普通值，不能是列表或映射", Where(mark))};
    }
    stack_.push_back({std::move(empty), mark, false, {}});
  }
  void Close() {
    Frame done = std::move(stack_.back());
    stack_.pop_back();
    Place(std::move(done.value), {});
  }
  void Value(const YAML::Mark& mark, json v, const std::string& raw) {
    Count(mark);
    Place(std::move(v), raw);
  }
  // Puts a finished value into its parent: a list's next element, a mapping's key or its value.
  void Place(json v, const std::string& raw) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = stack_.back();
    if (top.value.is_array()) {
      top.value.push_back(std::move(v));
    } else if (!top.has_key) {
      top.key = raw;
      top.has_key = true;
    } else {
      top.value[top.key] = std::move(v);  // a repeated key: the last one wins
      top.has_key = false;
    }
  }

  std::vector<Frame> stack_;
  json root_;
  size_t nodes_ = 0;
};

Status YamlError(const YAML::Exception& e) {
  return Status::Invalid("yaml.syntax", "YAML error: " + e.msg, "YAML 格式错误：" + e.msg, Where(e.mark));
}

Result<std::vector<json>> Parse(std::string_view text, bool all) {
  std::istringstream in{std::string(text)};
  JsonBuilder builder;
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      if (!all) break;
    }
  } catch (const Refused& r) {
    return r.status;
  } catch (const YAML::Exception& e) {
    return YamlError(e);
  }
  return std::move(builder.documents);
}

}  // namespace

Result<json> JsonFromYaml(std::string_view text) {
  KEEL_ASSIGN_OR_RETURN(std::vector<json> docs, Parse(text, false));
  if (docs.empty()) return json(nullptr);
  return std::move(docs[0]);
}

Result<std::vector<json>> JsonDocumentsFromYaml(std::string_view text) {
  KEEL_ASSIGN_OR_RETURN(std::vector<json> docs, Parse(text, true));
  std::vector<json> out;
  for (auto& j : docs) {
    if (j.is_array()) {
      for (auto& e : j) out.push_back(std::move(e));
    } else if (!j.is_null()) {
      out.push_back(std::move(j));
    }
  }
  return out;
}

}  // namespace keel
