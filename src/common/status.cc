#include "common/status.h"

namespace keel {

int HttpStatusOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalid: return 400;
    case ErrorKind::kUnauthenticated: return 401;
    case ErrorKind::kForbidden: return 403;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kPayloadTooLarge: return 413;
    case ErrorKind::kUnprocessable: return 422;
    case ErrorKind::kTooManyRequests: return 429;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

Status::Status(const Status& other)
    : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
  return *this;
}

Status Status::Error(ErrorKind kind, std::string code, std::string en, std::string zh,
                     std::string field) {
  Status s;
  s.rep_ = std::make_unique<Rep>(
      Rep{kind, std::move(code), std::move(en), std::move(zh), std::move(field)});
  return s;
}

namespace {

// The Chinese for the things a "not found" names (records, rules, links …); anything else is
// left as it is ("unit 'x'" → "单元 'x'" by its first word).
std::string ZhNoun(const std::string& what) {
  static const std::pair<const char*, const char*> kNouns[] = {
      {"API key", "API 密钥"}, {"action", "操作"}, {"alert rule", "告警规则"}, {"alert", "告警"},
      {"approval request", "审批单"}, {"budget", "预算"}, {"checkpoint", "合规检查点"}, {"document", "文档"},
      {"feedback link", "反馈链接"}, {"grant", "授权委托"}, {"member", "会员"}, {"metric", "指标"},
      {"parent unit", "上级单元"}, {"pricing authority rule", "定价权限规则"}, {"product", "产品"},
      {"profit-sharing rule", "分成规则"}, {"silence", "静默规则"}, {"statement", "分成明细"}, {"supervisor", "主管"},
      {"tenant", "租户"}, {"unit", "单元"}, {"user", "用户"}, {"webhook", "Webhook"}, {"workflow", "审批流程"},
      {"store", "门店"}, {"customer", "客户"}, {"contact", "联系人"}, {"lead", "线索"}, {"opportunity", "商机"},
      {"activity", "活动"}, {"promotion", "促销"}, {"order", "订单"}, {"quote", "报价单"}, {"contract", "合同"},
      {"expense claim", "费用报销单"}, {"budget transfer", "预算调剂"}, {"price change", "调价申请"}, {"target", "目标"},
      {"task", "任务"}, {"customer feedback", "客户反馈"}, {"material", "物料"}, {"case review", "复盘"},
      {"saved view", "视图"}, {"custom field", "自定义字段"}, {"dataset", "数据集"}, {"job", "后台任务"},
      {"model", "模型"}, {"version", "版本"}};
  for (const auto& [en, zh] : kNouns) {
    if (what == en) return zh;
  }
  // "unit 'x'": the longest noun the text starts with, then the rest.
  size_t best = 0;
  std::string out = what;
  for (const auto& [en, zh] : kNouns) {
    std::string e = en;
    if (e.size() > best && what.size() > e.size() && what.compare(0, e.size(), e) == 0 && what[e.size()] == ' ') {
      best = e.size();
      out = zh + what.substr(e.size());
    }
  }
  return out;
}

}  // namespace

Status Status::NotFound(std::string what, std::string field) {
  std::string zh = ZhNoun(what);
  return Error(ErrorKind::kNotFound, "not_found", what + " not found", "未找到" + zh, std::move(field));
}

Status Status::Internal(std::string detail) {
  return Error(ErrorKind::kInternal, "internal", "internal error: " + detail,
               "内部错误：" + detail);
}

static const std::string kEmpty;

ErrorKind Status::kind() const { return rep_ ? rep_->kind : ErrorKind::kInternal; }
const std::string& Status::code() const { return rep_ ? rep_->code : kEmpty; }
const std::string& Status::message_en() const { return rep_ ? rep_->en : kEmpty; }
const std::string& Status::message_zh() const { return rep_ ? rep_->zh : kEmpty; }
const std::string& Status::field() const { return rep_ ? rep_->field : kEmpty; }

Status Status::WithFieldPrefix(const std::string& prefix) const {
  if (!rep_) return Status();
  Status s(*this);
  if (s.rep_->field.empty()) {
    s.rep_->field = prefix;
  } else if (s.rep_->field[0] == '[') {
    s.rep_->field = prefix + s.rep_->field;
  } else {
    s.rep_->field = prefix + "." + s.rep_->field;
  }
  return s;
}

Status Status::WithField(std::string field) const {
  if (!rep_) return Status();
  Status s(*this);
  s.rep_->field = std::move(field);
  return s;
}

std::string Status::ToString() const {
  if (!rep_) return "OK";
  std::string out = rep_->code + ": " + rep_->en;
  if (!rep_->field.empty()) out += " (at " + rep_->field + ")";
  return out;
}

}  // namespace keel
