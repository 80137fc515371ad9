// The adversarial suite (docs/security.md): every file in tests/security/cases/ is a list of
// request → expected reply steps (the same format as tests/http/cases, see
// tests/http/cases_runner.h) run against a real server on both backends — one file per
// vulnerability or probe family. Resource cases bound the server's own resident set
// ("max_rss_growth_mb"), never the wall clock.
#include "http/cases_runner.h"

namespace keel::http {
namespace {

using testing::TestBackend;

class SecurityCases : public ::testing::TestWithParam<TestBackend> {};

TEST_P(SecurityCases, RequestResponseFiles) { cases::RunCaseFiles(GetParam(), "tests/security/cases"); }

INSTANTIATE_TEST_SUITE_P(Backends, SecurityCases, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
