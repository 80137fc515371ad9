// How a request's members reach the org services' commands when the service, not the HTTP layer,
// reports what is wrong with them (so the errors keep their order: permission first, then each
// member where the service checks it).
#pragma once

#include <cstdint>
#include <optional>

namespace keel::org {

// An optional id member as it arrived: absent (or null), an id, or a value that is not an id
// (`mistyped`: the service refuses it with validation.type where it checks the member).
struct OptionalId {
  std::optional<int64_t> value;
  bool mistyped = false;
};

}  // namespace keel::org
