#include "common/secrets.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/crypto.h"

namespace keel {
namespace {

constexpr std::string_view kPrefix = "v1:";

Status KeyError(const std::string& en, const std::string& zh, const std::string& field = "secret-key") {
  return Status::Invalid("config.secret_key", en, zh, field);
}

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string_view::npos ? std::string() : std::string(s.substr(b, e - b + 1));
}

}  // namespace

Result<SecretBox> SecretBox::FromKeys(std::string key, std::vector<std::string> old_keys) {
  InitCrypto();
  if (key.size() != kKeyBytes) {
    return KeyError("the secret key must be 32 bytes", "密钥必须为 32 字节");
  }
  for (const auto& k : old_keys) {
    if (k.size() != kKeyBytes) return KeyError("an old secret key must be 32 bytes", "旧密钥必须为 32 字节", "secret-key-old");
  }
  SecretBox box;
  box.key_ = std::move(key);
  box.old_keys_ = std::move(old_keys);
  return box;
}

SecretBox SecretBox::Ephemeral() {
  InitCrypto();
  std::string key(kKeyBytes, '\0');
  randombytes_buf(key.data(), key.size());
  return FromKeys(std::move(key)).value();
}

SecretBox::~SecretBox() {
  if (!key_.empty()) sodium_memzero(key_.data(), key_.size());
  for (auto& k : old_keys_) sodium_memzero(k.data(), k.size());
}

Result<std::string> SecretBox::Seal(std::string_view plaintext) const {
  if (plaintext.empty()) return std::string();
  if (!has_key()) {
    return Status::Error(ErrorKind::kConflict, "secrets.no_key",
                         "secrets cannot be stored: the server has no secret key (set KEEL_SECRET_KEY or secret-key-file)",
                         "无法保存密钥：服务器未配置加密密钥（请设置 KEEL_SECRET_KEY 或 secret-key-file）");
  }
  InitCrypto();
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), nonce, reinterpret_cast<const unsigned char*>(key_.data()));
  return std::string(kPrefix) + Base64UrlEncode(box);
}

bool SecretBox::OpenWith(const std::string& key, std::string_view stored, std::string* out) const {
  std::string box;
  if (!Base64UrlDecode(stored.substr(kPrefix.size()), &box)) return false;
  if (box.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) return false;
  const auto* nonce = reinterpret_cast<const unsigned char*>(box.data());
  std::string plain(box.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), nonce + crypto_secretbox_NONCEBYTES,
                                 box.size() - crypto_secretbox_NONCEBYTES, nonce,
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    return false;
  }
  *out = std::move(plain);
  return true;
}

Result<std::string> SecretBox::Open(std::string_view stored) const {
  if (!IsSealed(stored)) return std::string(stored);  // empty, or written before encryption
  InitCrypto();
  std::string plain;
  if (has_key() && OpenWith(key_, stored, &plain)) return plain;
  for (const auto& k : old_keys_) {
    if (OpenWith(k, stored, &plain)) return plain;
  }
  return Status::Error(ErrorKind::kConflict, "secrets.undecryptable",
                       "a stored secret cannot be decrypted with the server's secret keys (KEEL_SECRET_KEY changed without "
                       "KEEL_SECRET_KEY_OLD?); enter it again",
                       "无法用服务器的密钥解密已保存的密钥（KEEL_SECRET_KEY 已更换但未设置 KEEL_SECRET_KEY_OLD？）；请重新填写");
}

bool SecretBox::IsSealed(std::string_view stored) { return stored.substr(0, kPrefix.size()) == kPrefix; }

bool SecretBox::NeedsReseal(std::string_view stored) const {
  if (!has_key() || stored.empty()) return false;
  if (!IsSealed(stored)) return true;
  std::string plain;
  if (OpenWith(key_, stored, &plain)) return false;
  for (const auto& k : old_keys_) {
    if (OpenWith(k, stored, &plain)) return true;
  }
  return false;
}

Result<std::string> ParseSecretKey(std::string_view text, const std::string& source) {
  InitCrypto();
  const std::string t = Trim(text);
  std::string raw;
  if (t.size() == 2 * SecretBox::kKeyBytes && t.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    raw.assign(SecretBox::kKeyBytes, '\0');
    size_t len = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), t.data(), t.size(), nullptr, &len, nullptr) == 0 &&
        len == SecretBox::kKeyBytes) {
      return raw;
    }
  }
  if ((Base64Decode(t, &raw) || Base64UrlDecode(t, &raw)) && raw.size() == SecretBox::kKeyBytes) return raw;
  std::string url = t;
  while (!url.empty() && url.back() == '=') url.pop_back();
  if (Base64UrlDecode(url, &raw) && raw.size() == SecretBox::kKeyBytes) return raw;
  return KeyError(source + " is not a 32-byte key (64 hex digits or base64; make one with `keel secrets keygen`)",
                  source + " 不是 32 字节的密钥（64 位十六进制或 base64；可用 `keel secrets keygen` 生成）");
}

std::string NewSecretKeyText() {
  InitCrypto();
  std::string raw(SecretBox::kKeyBytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(raw.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(), variant);
  out.resize(out.size() - 1);
  sodium_memzero(raw.data(), raw.size());
  return out;
}

Result<std::string> ReadSecretKeyFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return KeyError("cannot read the secret key file " + path + ": " + std::strerror(errno),
                    "无法读取密钥文件 " + path, "secret-key-file");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto key = ParseSecretKey(text.str(), "the secret key file " + path);
  if (!key.ok()) return key.status().WithField("secret-key-file");
  return key;
}

Result<std::string> CreateSecretKeyFile(const std::string& path) {
  const std::string text = NewSecretKeyText();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return KeyError("cannot create the secret key file " + path + ": " + std::strerror(errno),
                    "无法创建密钥文件 " + path, "secret-key-file");
  }
  const std::string line = text + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(path.c_str());
    return KeyError("cannot write the secret key file " + path, "无法写入密钥文件 " + path, "secret-key-file");
  }
  return ParseSecretKey(text, "the new key");
}

}  // namespace keel
