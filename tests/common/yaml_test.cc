// YAML definitions become JSON straight from the parser's events: typed plain scalars, quoted
// text, positions in errors, and no anchors or aliases (the "billion laughs" expansion).
#include "common/yaml.h"

#include <gtest/gtest.h>

namespace keel {
namespace {

using json = nlohmann::json;

TEST(Yaml, ScalarsListsAndMappings) {
  auto j = JsonFromYaml("name: 有效拜访\ncount: 15\nratio: 0.5\non: true\nnone: ~\nquoted: \"15\"\ndims: [rep, unit]\nnested: {a: {b: 1}}\n");
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(*j, json({{"name", "有效拜访"}, {"count", 15}, {"ratio", 0.5}, {"on", true}, {"none", nullptr}, {"quoted", "15"},
                      {"dims", {"rep", "unit"}}, {"nested", {{"a", {{"b", 1}}}}}}));
}

TEST(Yaml, SeveralDocumentsAndListsOfDefinitions) {
  auto docs = JsonDocumentsFromYaml("- {name: a}\n- {name: b}\n---\nname: c\n");
  ASSERT_TRUE(docs.ok()) << docs.status().ToString();
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[2]["name"], "c");
  auto first = JsonFromYaml("name: a\n---\nname: b\n");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["name"], "a");
  EXPECT_TRUE(JsonFromYaml("").value().is_null());
}

TEST(Yaml, AnchorsAndAliasesAreRefusedWithTheirPosition) {
  auto alias = JsonFromYaml("a: &x [1, 2]\nb: *x\n");
  ASSERT_FALSE(alias.ok());
  EXPECT_EQ(alias.status().code(), "yaml.alias");
  EXPECT_EQ(alias.status().field(), "yaml@1:4");
  // The 380-byte body that took 10 GB before: refused at its first anchor, nothing expanded.
  std::string laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    laughs += std::string(1, c) + ": &" + c + " [";
    for (int k = 0; k < 9; ++k) laughs += std::string(k ? "," : "") + "*" + static_cast<char>(c - 1);
    laughs += "]\n";
  }
  auto bomb = JsonFromYaml(laughs);
  ASSERT_FALSE(bomb.ok());
  EXPECT_EQ(bomb.status().code(), "yaml.alias");
  EXPECT_EQ(JsonDocumentsFromYaml(laughs).status().code(), "yaml.alias");
}

TEST(Yaml, DepthSyntaxAndKeysAreErrorsNotCrashes) {
  std::string deep(40, '[');
  deep += std::string(40, ']');
  EXPECT_EQ(JsonFromYaml(deep).status().code(), "yaml.too_deep");
  auto bad = JsonFromYaml("a: [1, 2\nb: c");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), "yaml.syntax");
  EXPECT_EQ(bad.status().field().rfind("yaml@", 0), 0u);
  EXPECT_EQ(JsonFromYaml("? [a, b]\n: c\n").status().code(), "yaml.key");
  // A repeated key: the last one wins, as in JSON.
  EXPECT_EQ(JsonFromYaml("a: 1\na: 2\n").value()["a"], 2);
}

}  // namespace
}  // namespace keel
