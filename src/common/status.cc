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

Status Status::NotFound(std::string what, std::string field) {
  return Error(ErrorKind::kNotFound, "not_found", what + " not found", "未找到" + what,
               std::move(field));
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
