// Data-driven API tests: every file in tests/http/cases/ is a list of steps
//   {"name", "as": "<acme user>|rival:<user>|none", "method", "path", "body", "status",
//    "expect": <subset of the reply>, "save": {"var": "json/pointer"}}
// run in order against a real server, on both backends. "${var}" in a path or a body string
// is replaced by a saved value or a fixture id (${unit_a}, ${store_a}, ${product},
// ${user.rep_a1}, ${now}, ${today}, ${this_month}; object keys too). {"wait_text": true} makes the text service analyse what is new. A step {"catch_up": true} waits for the metric engine to apply all events,
// {"evaluate_alerts": true} also evaluates every alert rule now; {"wait_jobs": true} waits for
// the AI service's background jobs;
// "content_type" sends raw_body as e.g. application/yaml. "expect_raw" compares a non-JSON reply's body
// (a downloaded file) byte for byte, "expect_headers" {name: value} the reply's headers ("" when it must be absent). In "expect", "<any>" matches anything, "<nonempty>" any non-empty value,
// objects match as subsets and arrays element by element ("<len:N>" checks a length).
#include "http/cases_runner.h"

namespace keel::http {
namespace {

using testing::TestBackend;

class CasesTest : public ::testing::TestWithParam<TestBackend> {};

TEST_P(CasesTest, RequestResponseFiles) { cases::RunCaseFiles(GetParam(), "tests/http/cases"); }

INSTANTIATE_TEST_SUITE_P(Backends, CasesTest, ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

}  // namespace
}  // namespace keel::http
