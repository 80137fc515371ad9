#include "common/status.h"

#include <gtest/gtest.h>

namespace keel {
namespace {

TEST(Status, OkIsCheapAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), "");
  EXPECT_EQ(sizeof(Status), sizeof(void*));
}

TEST(Status, CarriesCodeMessagesAndField) {
  Status s = Status::Invalid("validation.required", "name is required", "name 为必填项", "name");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.kind(), ErrorKind::kInvalid);
  EXPECT_EQ(HttpStatusOf(s.kind()), 400);
  EXPECT_EQ(s.code(), "validation.required");
  EXPECT_EQ(s.message_zh(), "name 为必填项");
  EXPECT_EQ(s.WithFieldPrefix("lines[2]").field(), "lines[2].name");
  EXPECT_EQ(Status::Invalid("c", "e", "z").WithFieldPrefix("customer").field(), "customer");
  Status copy = s;
  EXPECT_EQ(copy.ToString(), s.ToString());
}

TEST(Status, ResultHoldsValueOrError) {
  Result<int> good = 5;
  Result<int> bad = Status::NotFound("customer");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 5);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().kind(), ErrorKind::kNotFound);
  EXPECT_EQ(HttpStatusOf(bad.status().kind()), 404);
}

TEST(Status, NotFoundSpeaksChineseToo) {
  EXPECT_EQ(Status::NotFound("quote").message_zh(), "未找到报价单");
  EXPECT_EQ(Status::NotFound("expense claim").message_zh(), "未找到费用报销单");
  EXPECT_EQ(Status::NotFound("budget transfer").message_zh(), "未找到预算调剂");
  EXPECT_EQ(Status::NotFound("unit 'x'").message_zh(), "未找到单元 'x'");
  EXPECT_EQ(Status::NotFound("customer feedback").message_zh(), "未找到客户反馈");
  EXPECT_EQ(Status::NotFound("quote").message_en(), "quote not found");
  // Something it has no word for stays as it is.
  EXPECT_EQ(Status::NotFound("gizmo").message_zh(), "未找到gizmo");
}

}  // namespace
}  // namespace keel
