// Status and Result<T>: errors as values on expected failure paths (storage, parsing,
// validation). An OK Status is one null pointer. A user-facing error carries a stable code,
// an English and a Chinese message and where it happened (field path or position).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace keel {

// Kind decides the HTTP status an error maps to; `code` is the stable machine-readable name.
enum class ErrorKind {
  kInvalid,           // 400: malformed or failing validation
  kUnauthenticated,   // 401
  kForbidden,         // 403
  kNotFound,          // 404
  kConflict,          // 409: duplicate code, illegal state move
  kPayloadTooLarge,   // 413
  kUnprocessable,     // 422: well-formed but refused by a business rule
  kTooManyRequests,   // 429
  kUnavailable,       // 503
  kInternal,          // 500: a bug or a broken store; never for bad input
};

int HttpStatusOf(ErrorKind kind);

class Status {
 public:
  Status() = default;
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

  static Status Ok() { return Status(); }
  // `code` is a dotted stable name such as "validation.required".
  static Status Error(ErrorKind kind, std::string code, std::string message_en,
                      std::string message_zh, std::string field = {});
  static Status Invalid(std::string code, std::string en, std::string zh, std::string field = {}) {
    return Error(ErrorKind::kInvalid, std::move(code), std::move(en), std::move(zh),
                 std::move(field));
  }
  static Status NotFound(std::string what, std::string field = {});
  static Status Internal(std::string detail);

  bool ok() const { return rep_ == nullptr; }
  ErrorKind kind() const;
  const std::string& code() const;
  const std::string& message_en() const;
  const std::string& message_zh() const;
  const std::string& field() const;
  // Prefixes the field path, e.g. "qty" inside "lines[2]" becomes "lines[2].qty".
  Status WithFieldPrefix(const std::string& prefix) const;
  Status WithField(std::string field) const;
  std::string ToString() const;

 private:
  struct Rep {
    ErrorKind kind;
    std::string code, en, zh, field;
  };
  std::unique_ptr<Rep> rep_;
};

// Result<T> holds a value or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

#define KEEL_CONCAT_INNER(a, b) a##b
#define KEEL_CONCAT(a, b) KEEL_CONCAT_INNER(a, b)
#define KEEL_RETURN_IF_ERROR(expr)            \
  do {                                        \
    ::keel::Status _st = (expr);              \
    if (!_st.ok()) return _st;                \
  } while (0)
#define KEEL_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
#define KEEL_ASSIGN_OR_RETURN(lhs, expr) \
  KEEL_ASSIGN_OR_RETURN_IMPL(KEEL_CONCAT(_res_, __LINE__), lhs, expr)

}  // namespace keel
