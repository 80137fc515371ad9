// The web front end's static files: served from memory for GET outside /api/, deep links get
// index.html, missing assets are 404, hashed assets are cached, index.html has the CSP.
#include "http/static_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace keel::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("keel-static-" + std::to_string(::getpid()));
    fs::create_directories(root_ / "assets");
    Write("index.html", "<!doctype html><div id=app></div>");
    Write("assets/index-abc123.js", "console.log('keel')");
    Write("favicon.svg", "<svg/>");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& body) { std::ofstream(root_ / rel) << body; }
  static Request Get(std::string path) {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    return r;
  }
  static std::string Header(const Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }
  fs::path root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirTypesAndCaching) {
  auto files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(files->files(), 3u);

  auto js = files->Serve(Get("/assets/index-abc123.js"));
  ASSERT_TRUE(js.has_value());
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, "console.log('keel')");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(*js, "Cache-Control"), "public, max-age=31536000, immutable");

  auto index = files->Serve(Get("/"));
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(*index, "Cache-Control"), "no-cache");
  EXPECT_NE(Header(*index, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);

  auto svg = files->Serve(Get("/favicon.svg"));
  ASSERT_TRUE(svg.has_value());
  EXPECT_EQ(svg->content_type, "image/svg+xml");
}

TEST_F(StaticFilesTest, DeepLinksGetTheAppAndMissingAssetsAre404) {
  auto files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok());
  auto deep = files->Serve(Get("/leads/42"));
  ASSERT_TRUE(deep.has_value());
  EXPECT_EQ(deep->status, 200);
  EXPECT_EQ(deep->body, "<!doctype html><div id=app></div>");
  EXPECT_EQ(Header(*deep, "Cache-Control"), "no-cache");

  auto missing = files->Serve(Get("/assets/gone-123.js"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  auto escape = files->Serve(Get("/../../etc/passwd"));
  ASSERT_TRUE(escape.has_value());
  EXPECT_EQ(escape->status, 404);
}

TEST_F(StaticFilesTest, LeavesTheApiAndOtherMethodsAlone) {
  auto files = StaticFiles::Load(root_.string());
  ASSERT_TRUE(files.ok());
  EXPECT_FALSE(files->Serve(Get("/api/v1/health")).has_value());
  EXPECT_FALSE(files->Serve(Get("/api")).has_value());
  Request post = Get("/leads");
  post.method = "POST";
  EXPECT_FALSE(files->Serve(post).has_value());
}

TEST_F(StaticFilesTest, WithoutABuildSaysHowToBuild) {
  fs::remove(root_ / "index.html");
  auto files = StaticFiles::Load(root_.string());
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().code(), "web.not_built");
  StaticFiles none;
  auto page = none.Serve(Get("/"));
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->status, 404);
  EXPECT_NE(page->body.find("make build"), std::string::npos);
}

}  // namespace
}  // namespace keel::http
