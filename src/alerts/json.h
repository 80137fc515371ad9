// Alert changes as JSON: the payload of the "alert.*" events and of the live streams' "alert"
// frames (the shape the web front end reads). Used by the engine (events, webhooks) and by
// src/http/streams.cc.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "alerts/model.h"

namespace keel::alerts {

// {dimension: {value, name}}.
nlohmann::json ToJson(const AlertLabels& labels);
// Labels stored as JSON text (alerts.labels); what is not an object of objects is left out.
AlertLabels ParseLabels(const std::string& text);
// Firing: {id, rule, severity, state, labels, value, summary, summary_en, label, label_en,
// unit_id, owner_id, started_at[, muted]}; resolved: {id, rule, state, resolved_at, labels,
// summary, summary_en, severity, label, label_en, value}; a duplicate: {id, rule, state,
// duplicate: true}. None is null.
nlohmann::json ToJson(const AlertChange& a);

}  // namespace keel::alerts
