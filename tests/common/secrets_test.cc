// Secrets at rest: sealed values do not show the secret and differ each time, open only with
// the right key (current or old), legacy plain values pass through and are flagged for
// re-encryption, keys are read as hex or base64 and key files are created 0600.
#include "common/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "support/test_db.h"

namespace keel {
namespace {

std::string Key(char fill) { return std::string(SecretBox::kKeyBytes, fill); }

TEST(SecretBox, SealsAndOpens) {
  auto box = SecretBox::FromKeys(Key('k')).value();
  auto a = box.Seal("whsec-123").value();
  auto b = box.Seal("whsec-123").value();
  EXPECT_EQ(a.rfind("v1:", 0), 0u);
  EXPECT_EQ(a.find("whsec"), std::string::npos);
  EXPECT_NE(a, b) << "a fresh nonce every time";
  EXPECT_EQ(box.Open(a).value(), "whsec-123");
  EXPECT_EQ(box.Seal("").value(), "") << "nothing to hide";
  EXPECT_EQ(box.Open("").value(), "");
}

TEST(SecretBox, AWrongKeyOpensNothing) {
  auto sealed = SecretBox::FromKeys(Key('a')).value().Seal("sk-live").value();
  auto other = SecretBox::FromKeys(Key('b')).value();
  auto r = other.Open(sealed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), "secrets.undecryptable");
  EXPECT_EQ(r.status().message_en().find("sk-live"), std::string::npos);
  std::string tampered = sealed;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(SecretBox::FromKeys(Key('a')).value().Open(tampered).ok()) << "authenticated: a changed byte is refused";
  EXPECT_EQ(SecretBox().Seal("x").status().code(), "secrets.no_key");
}

TEST(SecretBox, RotationOpensWithTheOldKeyAndSealsWithTheNew) {
  auto old_box = SecretBox::FromKeys(Key('o')).value();
  auto sealed_old = old_box.Seal("robot-key").value();
  auto rotating = SecretBox::FromKeys(Key('n'), {Key('o')}).value();
  EXPECT_EQ(rotating.Open(sealed_old).value(), "robot-key");
  EXPECT_TRUE(rotating.NeedsReseal(sealed_old));
  auto sealed_new = rotating.Seal(rotating.Open(sealed_old).value()).value();
  EXPECT_FALSE(rotating.NeedsReseal(sealed_new));
  auto new_only = SecretBox::FromKeys(Key('n')).value();
  EXPECT_EQ(new_only.Open(sealed_new).value(), "robot-key") << "the old key is no longer needed";
  EXPECT_FALSE(new_only.Open(sealed_old).ok());
}

TEST(SecretBox, PlainValuesFromOlderDatabasesPassThroughAndAreFlagged) {
  auto box = SecretBox::FromKeys(Key('k')).value();
  EXPECT_EQ(box.Open("https://oapi.dingtalk.com/robot/send?access_token=t").value(),
            "https://oapi.dingtalk.com/robot/send?access_token=t");
  EXPECT_TRUE(box.NeedsReseal("plain-secret"));
  EXPECT_FALSE(box.NeedsReseal(""));
  EXPECT_FALSE(SecretBox().NeedsReseal("plain-secret")) << "without a key there is nothing to seal with";
}

TEST(SecretKey, ReadsHexAndBase64) {
  const std::string hex(64, 'a');
  auto k = ParseSecretKey(hex + "\n", "KEEL_SECRET_KEY");
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(*k, std::string(32, '\xaa'));
  auto text = NewSecretKeyText();
  EXPECT_EQ(text.size(), 44u);
  EXPECT_TRUE(ParseSecretKey(text, "x").ok());
  auto bad = ParseSecretKey("too-short", "KEEL_SECRET_KEY");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "config.secret_key");
  EXPECT_EQ(bad.status().message_en().find("too-short"), std::string::npos) << "never echo a key";
}

TEST(SecretKey, FilesAreCreatedForTheOwnerOnly) {
  const std::string path = testing::TempDir() + "/keel.db.key";
  auto created = CreateSecretKeyFile(path);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadSecretKeyFile(path).value(), *created);
  EXPECT_FALSE(CreateSecretKeyFile(path).ok()) << "an existing key is never overwritten";
}

}  // namespace
}  // namespace keel
