#include <argon2.h>

#include "common/crypto.h"
#include "domain/codec.h"
#include "domain/records.h"

namespace keel::domain {

// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
constexpr uint32_t kTimeCost = 2, kMemoryKib = 19456, kLanes = 1;

Status ValidatePassword(const std::string& password) {
  int n = Utf8Length(password);
  if (n < 0) {
    return Status::Invalid("validation.utf8", "password is not valid UTF-8", "密码不是有效的 UTF-8");
  }
  if (n < 10 || password.size() > 200) {
    return Status::Invalid("validation.password_length",
                           "password must have 10 to 200 characters", "密码长度应为 10 到 200 个字符");
  }
  return Status();
}

Result<std::string> HashPassword(const std::string& password) {
  std::string salt_b64 = RandomToken(16);
  std::string salt;
  Base64UrlDecode(salt_b64, &salt);
  size_t len = argon2_encodedlen(kTimeCost, kMemoryKib, kLanes, salt.size(), 32, Argon2_id);
  std::string encoded(len, '\0');
  int rc = argon2id_hash_encoded(kTimeCost, kMemoryKib, kLanes, password.data(), password.size(),
                                 salt.data(), salt.size(), 32, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return Status::Internal(std::string("argon2: ") + argon2_error_message(rc));
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  return encoded;
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  if (hash.empty()) return false;
  return argon2id_verify(hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

}  // namespace keel::domain
