// The JSON form of the approval engine's views: what the HTTP API sends (docs/api.md, the
// OpenAPI document) and what the services that still answer in JSON embed (an expense claim's
// submission names its approval). One place, so the wire shape cannot drift between them.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "org/workflow/approvals.h"

namespace keel::org {

// The definition document with its version (and status or created_at where the view has them).
nlohmann::json ToJson(const WorkflowVersion& v);
nlohmann::json ToJson(const std::vector<WorkflowVersion>& active);  // {items}
nlohmann::json ToJson(const WorkflowHistory& h);                     // {name, versions: [{version, status, created_at, definition}]}
nlohmann::json ToJson(const ApprovalView& r);
// The request, or {status: not_needed, reason_en, reason_zh}.
nlohmann::json ToJson(const Submission& s);
nlohmann::json ToJson(const std::vector<InboxItem>& items);  // {items}

}  // namespace keel::org
