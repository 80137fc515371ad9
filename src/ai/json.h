// The AI views as JSON, the shape the API serves (docs/openapi.json). Used by src/http/ai_api.cc,
// by the job runner (a finished training job stores its TrainResult this way) and by the CLI.
#pragma once

#include <nlohmann/json.hpp>

#include "ai/model.h"

namespace keel::ai {

nlohmann::json ToJson(const JobView& j);
nlohmann::json ToJson(const TrainResult& t);
nlohmann::json ToJson(const ModelVersions& m);
nlohmann::json ToJson(const RollbackResult& r);
nlohmann::json ToJson(const ScoreView& s);
nlohmann::json ToJson(const MonitoringView& m);
nlohmann::json ToJson(const std::map<std::string, DriftSummary>& by_target);
nlohmann::json ToJson(const std::vector<SignalItem>& signals);  // {items: […]}
nlohmann::json ToJson(const PlanCounts& counts);
nlohmann::json ToJson(const SignalOutcome& o);
nlohmann::json ToJson(const TodayList& t);
nlohmann::json ToJson(const DatasetView& d);
nlohmann::json ToJson(const std::vector<DatasetSummary>& datasets);  // {items: […]}
nlohmann::json ToJson(const std::vector<DatasetModelView>& versions);  // {items: […]}
nlohmann::json ToJson(const DatasetPrediction& p);
nlohmann::json ToJson(const ContactTime& c);
nlohmann::json ToJson(const LookalikeList& l);

}  // namespace keel::ai
