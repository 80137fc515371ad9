// Reading a result into typed rows: the repositories' one loop.
#pragma once

#include <vector>

#include "store/database.h"

namespace keel::store {

// Every row of `rows` read by `read` (a function of store::Row), in order:
// `MapRows<Silence>(rows, ReadSilence)`.
template <typename T, typename F>
std::vector<T> MapRows(const Rows& rows, F read) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (Row r : rows) out.push_back(read(r));
  return out;
}

}  // namespace keel::store
