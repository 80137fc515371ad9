// High-potential look-alikes (高潜相似客户): B2B customers that resemble the tenant's best won
// customers but have not won with us yet. Each customer becomes a standardised vector (orders
// and revenue in the last year, order size, categories bought, recency, visits, won deals,
// segment, industry, region); the candidates go into an hnswlib index and every best customer
// asks for its nearest candidates; a candidate's score is its closest resemblance, and its
// reasons are the traits it shares most closely with that best customer.
#pragma once

#include <memory>

#include "ai/model.h"
#include "common/status.h"
#include "common/time.h"
#include "store/database.h"

namespace keel::ai {

struct Lookalikes {
  // Ranked candidates, each with the best customer it is most like and the reasons in zh/en
  // (`reasons` is left to the reader's language).
  std::vector<Lookalike> ranked;
  int64_t best_customers = 0, candidates = 0;
  // Builds the index and ranks every candidate (errors only from the store).
  static Result<std::shared_ptr<const Lookalikes>> Build(store::Connection& conn, int64_t tenant, TimeMs now);
};

}  // namespace keel::ai
