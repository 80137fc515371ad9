// The list contract's in-memory half (docs/api.md, "Lists"): a route marked Paged answers its
// whole bounded set, and the API pages it — `limit` (1-500, default 500: the whole set unless the
// caller asks for less) and `after` (the last
// item's key from the previous page) in, the page's `items` and `next_after` (only when there is
// more) out, in the service's own order, `after` being the key of the previous page's last item.
// The same parameters and errors as the entity lists, which page in SQL.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "http/router.h"

namespace keel::http {

struct PageRequest {
  int limit = kDefaultSetLimit;
  std::optional<std::string> after;
};

// Takes `limit` and `after` out of `query` (the handler never sees them). A malformed or
// repeated value, or a parameter the route does not document (`documented`: its RouteDoc::query),
// is 400 validation.parameter naming it.
Result<PageRequest> TakePageParams(QueryParams& query,
                                   const std::vector<std::pair<std::string, std::string>>& documented);

// Keeps the page of body["items"] (in the service's own order) that starts after the item whose
// paging.key is `page.after`; sets body["next_after"] to the page's last key when more items
// follow, and removes it otherwise. An `after` that names no item (deleted since, or made up) is
// 400 validation.parameter: start again from the first page.
Status PageItems(const Paging& paging, const PageRequest& page, nlohmann::json& body);

}  // namespace keel::http
