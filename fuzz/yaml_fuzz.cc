// libFuzzer target for the YAML definition loader (src/common/yaml.h): arbitrary bytes as one
// document and as a stream. Whatever comes in, the loader answers JSON or a yaml.* error —
// never a crash, a hang, an exception or a value larger than its input (no alias expansion).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/yaml.h"

namespace {

size_t Values(const nlohmann::json& j) {
  size_t n = 1;
  if (j.is_structured()) {
    for (const auto& e : j) n += Values(e);
  }
  return n;
}

void Check(const keel::Result<nlohmann::json>& r, size_t size) {
  if (!r.ok()) {
    if (r.status().code().rfind("yaml.", 0) != 0) std::abort();  // only the loader's own errors
    return;
  }
  // Every value comes from at least one byte of input: nothing is multiplied.
  if (Values(*r) > size + 2) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(keel::JsonFromYaml(text), size);
  auto all = keel::JsonDocumentsFromYaml(text);
  if (all.ok()) {
    size_t n = 0;
    for (const auto& j : *all) n += Values(j);
    if (n > size + 2) std::abort();
  } else if (all.status().code().rfind("yaml.", 0) != 0) {
    std::abort();
  }
  return 0;
}
