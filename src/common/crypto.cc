#include "common/crypto.h"

#include <sodium.h>

#include <cstdlib>
#include <vector>

namespace keel {

void InitCrypto() {
  static const int rc = sodium_init();
  if (rc < 0) std::abort();
}

std::string Base64UrlEncode(std::string_view data) {
  InitCrypto();
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                    data.size(), variant);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  InitCrypto();
  std::string bin(text.size(), '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), text.data(),
                        text.size(), nullptr, &len, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != text.data() + text.size()) {
    return false;
  }
  bin.resize(len);
  *out = std::move(bin);
  return true;
}

bool Base64Decode(std::string_view text, std::string* out) {
  InitCrypto();
  std::string bin(text.size() * 3 / 4 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  const int variants[] = {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING};
  for (int variant : variants) {
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), text.data(), text.size(),
                          " \t\r\n", &len, &end, variant) == 0 &&
        end == text.data() + text.size()) {
      bin.resize(len);
      *out = std::move(bin);
      return true;
    }
  }
  return false;
}

std::string RandomToken(size_t bytes) {
  InitCrypto();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return Base64UrlEncode(raw);
}

std::string Sha256Hex(std::string_view data) {
  InitCrypto();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  InitCrypto();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace keel
