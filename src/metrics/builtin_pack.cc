// The metric pack every tenant starts with. Written in the same YAML a tenant would write, so
// it doubles as the reference example in docs/metrics.md.
#include "metrics/definition.h"

namespace keel::metrics {

const char* BuiltinPackYaml() {
  return R"YAML(
- name: revenue
  label: {zh: 销售额, en: Revenue}
  unit: yuan
  source: order
  agg: sum
  value: total
  filter: "status <> 'refunded' AND status <> 'cancelled'"
  dimensions: [rep, unit, store, channel, customer_segment]
  target: revenue
- name: orders
  label: {zh: 订单数, en: Orders}
  unit: count
  source: order
  agg: count
  filter: "status <> 'refunded' AND status <> 'cancelled'"
  dimensions: [rep, unit, store, channel, customer_segment]
- name: average_order_value
  label: {zh: 客单价, en: Average order value}
  unit: yuan
  type: ratio
  numerator: revenue
  denominator: orders
- name: line_revenue
  label: {zh: 商品销售额, en: Product revenue}
  unit: yuan
  source: order_line
  agg: sum
  value: amount
  filter: "status <> 'refunded' AND status <> 'cancelled'"
  dimensions: [rep, unit, store, channel, product_category]
- name: gross_margin
  label: {zh: 毛利, en: Gross margin}
  unit: yuan
  source: order_line
  agg: sum
  value: margin
  filter: "status <> 'refunded' AND status <> 'cancelled'"
  dimensions: [rep, unit, store, channel, product_category]
- name: gross_margin_rate
  label: {zh: 毛利率, en: Gross margin rate}
  unit: ratio
  type: ratio
  numerator: gross_margin
  denominator: line_revenue
- name: visits
  label: {zh: 拜访次数, en: Visits}
  unit: count
  source: activity
  agg: count
  filter: "kind = 'visit'"
  dimensions: [rep, unit, store]
  target: visits
- name: effective_visits
  label: {zh: 有效拜访, en: Effective visits}
  description: "拜访时长不少于 15 分钟 / visits of at least 15 minutes"
  unit: count
  source: activity
  agg: count
  filter: "kind = 'visit' AND duration_min >= 15"
  dimensions: [rep, unit, store]
- name: conversations
  label: {zh: 有效沟通, en: Conversations}
  description: "接通的电话、拜访、会议和演示 / connected calls, visits, meetings and demos"
  unit: count
  source: activity
  agg: count
  filter: "OR(kind = 'call', kind = 'visit', kind = 'meeting', kind = 'demo') AND duration_min > 0"
  dimensions: [rep, unit]
- name: quality_conversations
  label: {zh: 优质沟通, en: Quality conversations}
  description: "不少于 10 分钟且客户反馈积极 / at least 10 minutes with a positive outcome"
  unit: count
  source: activity
  agg: count
  filter: "OR(kind = 'call', kind = 'visit', kind = 'meeting', kind = 'demo') AND duration_min >= 10 AND OR(outcome = 'positive', outcome = 'completed')"
  dimensions: [rep, unit]
- name: quality_conversation_share
  label: {zh: 优质沟通占比, en: Quality-conversation share}
  unit: ratio
  type: ratio
  numerator: quality_conversations
  denominator: conversations
- name: proposal_revisions
  label: {zh: 方案修订次数, en: Proposal revisions}
  unit: count
  source: activity
  agg: count
  filter: "kind = 'proposal'"
  dimensions: [rep, unit, customer]
- name: customers_touched
  label: {zh: 触达客户数, en: Customers touched}
  unit: count
  source: activity
  agg: count_distinct
  value: customer_id
  filter: "NOT ISBLANK(customer_id)"
  dimensions: [rep, unit]
- name: new_customers
  label: {zh: 新增客户, en: New customers}
  unit: count
  source: customer
  agg: count
  dimensions: [rep, unit, segment]
- name: customers_assigned
  label: {zh: 负责客户数, en: Customers assigned}
  unit: count
  type: cumulative
  input: new_customers
  to_date: all
- name: customer_coverage
  label: {zh: 客户覆盖率, en: Customer coverage}
  description: "触达客户数 / 负责客户数 / distinct customers touched ÷ customers assigned"
  unit: ratio
  type: ratio
  numerator: customers_touched
  denominator: customers_assigned
- name: new_leads
  label: {zh: 新增线索, en: New leads}
  unit: count
  source: lead
  agg: count
  dimensions: [rep, unit, source, channel]
- name: lead_first_response_minutes
  label: {zh: 线索首次响应时长, en: Lead first-response time}
  unit: minutes
  source: lead_response
  agg: avg
  value: response_minutes
  dimensions: [rep, unit, source, channel]
- name: stage_entries
  label: {zh: 进入阶段次数, en: Stage entries}
  description: "按 to 分组即为各阶段转化漏斗 / group by `to` for the stage funnel"
  unit: count
  source: stage_change
  agg: count
  dimensions: [rep, unit, to]
- name: deals_won
  label: {zh: 赢单数, en: Deals won}
  unit: count
  source: stage_change
  agg: count
  filter: "to = 'won'"
  dimensions: [rep, unit]
- name: deals_closed
  label: {zh: 结单数, en: Deals closed}
  unit: count
  source: stage_change
  agg: count
  filter: "OR(to = 'won', to = 'lost')"
  dimensions: [rep, unit]
- name: win_rate
  label: {zh: 赢单率, en: Win rate}
  unit: ratio
  type: ratio
  numerator: deals_won
  denominator: deals_closed
- name: won_value
  label: {zh: 赢单金额, en: Won value}
  unit: yuan
  source: stage_change
  agg: sum
  value: amount
  filter: "to = 'won'"
  dimensions: [rep, unit]
- name: pipeline_opened
  label: {zh: 新建商机金额, en: Pipeline created}
  unit: yuan
  source: opportunity
  agg: sum
  value: amount
  dimensions: [rep, unit]
- name: pipeline_closed
  label: {zh: 结单商机金额, en: Pipeline closed}
  unit: yuan
  source: stage_change
  agg: sum
  value: amount
  filter: "OR(to = 'won', to = 'lost')"
  dimensions: [rep, unit]
- name: pipeline_opened_to_date
  label: {zh: 累计新建商机金额, en: Pipeline created to date}
  unit: yuan
  type: cumulative
  input: pipeline_opened
  to_date: all
- name: pipeline_closed_to_date
  label: {zh: 累计结单商机金额, en: Pipeline closed to date}
  unit: yuan
  type: cumulative
  input: pipeline_closed
  to_date: all
- name: pipeline_value
  label: {zh: 在手商机金额, en: Open pipeline value}
  unit: yuan
  type: derived
  expr: "pipeline_opened_to_date - pipeline_closed_to_date"
  inputs: [pipeline_opened_to_date, pipeline_closed_to_date]
- name: revenue_mtd
  label: {zh: 本月累计销售额, en: Revenue month to date}
  unit: yuan
  type: cumulative
  input: revenue
  to_date: month
  target: revenue
)YAML";
}

}  // namespace keel::metrics
