// Secrets at rest (密钥加密存储): webhook URLs and signing secrets, API keys of outside
// services. A value is sealed with libsodium's secretbox (XSalsa20-Poly1305) under a 32-byte
// key the operator gives Keel (KEEL_SECRET_KEY or a key file), stored as
// "v1:" + base64url(nonce || ciphertext), and opened only where it is sent. Old keys may be
// given for opening during a rotation; sealing always uses the current key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace keel {

class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;

  // No key: Seal fails with secrets.no_key (409) and sealed values cannot be opened; plain
  // (legacy) values still pass through Open.
  SecretBox() = default;
  // `key` and each of `old_keys` are raw 32-byte keys (see ParseSecretKey).
  // Errors: config.secret_key when a key has the wrong length.
  static Result<SecretBox> FromKeys(std::string key, std::vector<std::string> old_keys = {});
  // A random key that lives as long as the process: for services built without a configured
  // box (tests, tools that never store secrets). Never for a server.
  static SecretBox Ephemeral();
  ~SecretBox();
  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;
  SecretBox(SecretBox&&) noexcept = default;
  SecretBox& operator=(SecretBox&&) noexcept = default;

  bool has_key() const { return !key_.empty(); }

  // The stored form of `plaintext`; "" stays "" (nothing to hide). A fresh random nonce each
  // time, so equal secrets do not look equal. Thread-safe.
  Result<std::string> Seal(std::string_view plaintext) const;
  // The plaintext of a stored value: a sealed one is opened with the current key, then with
  // each old key; a value without the "v1:" prefix is a plain value written before secrets
  // were encrypted and is returned as it is. Errors: secrets.undecryptable (409) when no key
  // opens it (wrong or missing KEEL_SECRET_KEY). Thread-safe.
  Result<std::string> Open(std::string_view stored) const;
  // Whether `stored` has the sealed form.
  static bool IsSealed(std::string_view stored);
  // Whether `stored` should be written again: a plain non-empty value, or one sealed under an
  // old key. False when there is no current key or no key opens it.
  bool NeedsReseal(std::string_view stored) const;

 private:
  bool OpenWith(const std::string& key, std::string_view stored, std::string* out) const;
  std::string key_;
  std::vector<std::string> old_keys_;
};

// What a re-encryption pass did (AlertEngine/TextService::ResealSecrets, `keel secrets rotate`).
struct ResealCount {
  int64_t resealed = 0;     // written again under the current key
  int64_t unreadable = 0;   // no configured key opens them: left as they are
};

// A key given as text: 64 hex digits, or base64 (standard or URL-safe, padding optional) of
// 32 bytes; surrounding whitespace is ignored. `source` names where it came from for the
// error (config.secret_key), never the key itself.
Result<std::string> ParseSecretKey(std::string_view text, const std::string& source);
// A new random key in the text form ParseSecretKey reads (base64, 44 characters).
std::string NewSecretKeyText();
// Reads the key in the file at `path`. Errors: config.secret_key (unreadable, malformed).
Result<std::string> ReadSecretKeyFile(const std::string& path);
// Creates `path` (which must not exist) with permissions 0600 holding a new key; returns the
// raw key. Errors: config.secret_key.
Result<std::string> CreateSecretKeyFile(const std::string& path);

}  // namespace keel
