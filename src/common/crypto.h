// Randomness, hashing and constant-time comparison (libsodium). Thread-safe after
// InitCrypto() has run once (it is idempotent and called by every entry point).
#pragma once

#include <string>
#include <string_view>

namespace keel {

void InitCrypto();
// `bytes` random bytes from the OS CSPRNG, base64url without padding.
std::string RandomToken(size_t bytes);
// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Compares without leaking where the first difference is.
bool ConstantTimeEqual(std::string_view a, std::string_view b);
std::string Base64UrlEncode(std::string_view data);
// Returns false on malformed input.
bool Base64UrlDecode(std::string_view text, std::string* out);
// Standard base64 (RFC 4648 §4, '+' and '/', padding optional); whitespace (line breaks of
// MIME-style encoders) is skipped. Returns false on malformed input.
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace keel
