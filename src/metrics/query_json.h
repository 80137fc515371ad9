// A query's answer as JSON, the shape GET /api/v1/metrics/query serves (docs/openapi.json
// MetricQueryResult) and the live streams push as their "metrics" frame. Used by
// src/http/metrics_api.cc, src/http/streams.cc, the benchmarks and the tests.
#pragma once

#include <nlohmann/json.hpp>

#include "metrics/engine.h"

namespace keel::metrics {

// {from, to, time_zone, grain, group_by, metrics: […], groups: [{group: {dim: {value, name}},
// values: {metric: {value, previous?, change_pct?, last_year?, yoy_pct?, points?, target?,
// completion?}}}]}; a blank figure is null.
nlohmann::json ToJson(const QueryResult& r);

}  // namespace keel::metrics
