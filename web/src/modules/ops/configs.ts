// The record types of the ops and voice list pages.
import { hasRole } from '@/session'
import type { EntityConfig } from './entity'

const HQ = ['admin', 'hq_ops']
const WRITERS = ['admin', 'hq_ops', 'unit_lead', 'supervisor', 'rep']
const LEADS = ['admin', 'hq_ops', 'unit_lead']
const writer = () => hasRole(...WRITERS)
const hq = () => hasRole(...HQ)
const leads = () => hasRole(...LEADS)

export const tasks: EntityConfig = {
  name: 'tasks',
  endpoint: '/tasks',
  sort: 'due_at',
  defaultFilters: { status: 'open' },
  fields: [
    { key: 'title', type: 'text', required: true, width: 240 },
    { key: 'status', type: 'enum', options: ['open', 'done', 'cancelled'], filter: true },
    { key: 'priority', type: 'enum', options: ['low', 'normal', 'high', 'urgent'], filter: true },
    { key: 'source', type: 'enum', options: ['manual', 'alert', 'ai', 'workflow'], filter: true, form: false },
    { key: 'due_at', type: 'datetime' },
    { key: 'related', type: 'related', form: false },
    { key: 'owner_id', type: 'ref', ref: 'users' },
    { key: 'description', type: 'textarea', list: false },
  ],
  canCreate: writer,
  canEdit: writer,
  canArchive: writer,
  defaults: () => ({ priority: 'normal', status: 'open' }),
}

export const activities: EntityConfig = {
  name: 'activities',
  endpoint: '/activities',
  sort: '-occurred_at',
  fields: [
    { key: 'occurred_at', type: 'datetime', required: true },
    { key: 'kind', type: 'enum', options: ['visit', 'call', 'meeting', 'email', 'demo', 'proposal'], filter: true, required: true },
    { key: 'subject', type: 'text' },
    { key: 'customer_id', type: 'ref', ref: 'customers' },
    { key: 'lead_id', type: 'ref', ref: 'leads' },
    { key: 'opportunity_id', type: 'ref', ref: 'opportunities', list: false },
    { key: 'store_id', type: 'ref', ref: 'stores', list: false },
    { key: 'outcome', type: 'enum', options: ['completed', 'connected', 'no_answer', 'positive', 'neutral', 'negative', 'rescheduled'], filter: true },
    { key: 'duration_min', type: 'number', list: false },
    { key: 'notes', type: 'textarea', width: 280 },
    { key: 'owner_id', type: 'ref', ref: 'users', form: false },
  ],
  canCreate: writer,
  canEdit: writer,
  canArchive: writer,
  defaults: () => ({ kind: 'visit', occurred_at: new Date().toISOString() }),
}

export const orders: EntityConfig = {
  name: 'orders',
  endpoint: '/orders',
  sort: '-ordered_at',
  fields: [
    { key: 'code', type: 'text', required: true, readonlyOnEdit: true, width: 170 },
    { key: 'ordered_at', type: 'datetime', required: true },
    { key: 'channel', type: 'enum', options: ['store', 'online', 'b2b', 'wechat', 'livestream'], filter: true, required: true },
    { key: 'status', type: 'enum', options: ['paid', 'refunded', 'cancelled'], filter: true },
    { key: 'customer_id', type: 'ref', ref: 'customers' },
    { key: 'store_id', type: 'ref', ref: 'stores' },
    { key: 'member_id', type: 'ref', ref: 'members', list: false },
    { key: 'promotion_id', type: 'ref', ref: 'promotions', list: false },
    { key: 'line_count', type: 'number', form: false },
    { key: 'discount_total', type: 'money', form: false, list: false },
    { key: 'total', type: 'money', form: false },
    { key: 'owner_id', type: 'ref', ref: 'users', form: false },
  ],
  canCreate: writer,
  canEdit: writer,
  canArchive: leads,
  defaults: () => ({ channel: 'b2b', status: 'paid', ordered_at: new Date().toISOString() }),
}

export const products: EntityConfig = {
  name: 'products',
  endpoint: '/products',
  sort: 'sku',
  fields: [
    { key: 'sku', type: 'text', required: true },
    { key: 'name', type: 'text', required: true, width: 220 },
    { key: 'name_en', type: 'text', width: 200 },
    { key: 'category_path', type: 'text', required: true, width: 160 },
    { key: 'brand', type: 'text' },
    { key: 'price', type: 'money', required: true },
    { key: 'cost', type: 'money' },
    { key: 'energy_class', type: 'number', width: 90 },
    { key: 'status', type: 'enum', options: ['active', 'discontinued'], filter: true },
  ],
  canCreate: hq,
  canEdit: hq,
  canArchive: hq,
  defaults: () => ({ status: 'active' }),
}

export const stores: EntityConfig = {
  name: 'stores',
  endpoint: '/stores',
  sort: 'code',
  fields: [
    { key: 'code', type: 'text', required: true },
    { key: 'name', type: 'text', required: true, width: 200 },
    { key: 'unit_id', type: 'ref', ref: 'units', required: true },
    { key: 'city', type: 'text' },
    { key: 'address', type: 'text', list: false },
    { key: 'lat', type: 'number' },
    { key: 'lng', type: 'number' },
    { key: 'manager_id', type: 'ref', ref: 'users' },
    { key: 'opened_on', type: 'date' },
    { key: 'status', type: 'enum', options: ['open', 'closed', 'renovating'], filter: true },
  ],
  canCreate: leads,
  canEdit: leads,
  canArchive: hq,
  defaults: () => ({ status: 'open' }),
}

export const promotions: EntityConfig = {
  name: 'promotions',
  endpoint: '/promotions',
  sort: '-starts_at',
  fields: [
    { key: 'code', type: 'text', required: true },
    { key: 'name', type: 'text', required: true, width: 200 },
    { key: 'kind', type: 'enum', enumOf: 'promo_kind', options: ['discount', 'gift', 'bundle', 'cashback', 'trade_in'], filter: true, required: true },
    { key: 'status', type: 'enum', options: ['draft', 'active', 'ended'], filter: true },
    { key: 'discount_pct', type: 'number' },
    { key: 'category_path', type: 'text' },
    { key: 'unit_id', type: 'ref', ref: 'units' },
    { key: 'starts_at', type: 'datetime', required: true },
    { key: 'ends_at', type: 'datetime', required: true },
  ],
  canCreate: leads,
  canEdit: leads,
  canArchive: leads,
  defaults: () => ({ status: 'draft', kind: 'discount' }),
}

export const members: EntityConfig = {
  name: 'members',
  endpoint: '/members',
  sort: '-joined_at',
  fields: [
    { key: 'card_no', type: 'text', required: true },
    { key: 'customer_id', type: 'ref', ref: 'customers', required: true },
    { key: 'level', type: 'enum', options: ['normal', 'silver', 'gold', 'diamond'], filter: true },
    { key: 'points', type: 'number' },
    { key: 'store_id', type: 'ref', ref: 'stores' },
    { key: 'joined_at', type: 'datetime', required: true },
    { key: 'unit_id', type: 'ref', ref: 'units', form: false },
  ],
  canCreate: writer,
  canEdit: writer,
  canArchive: leads,
  defaults: () => ({ level: 'normal', points: 0, joined_at: new Date().toISOString() }),
}

export const targets: EntityConfig = {
  name: 'targets',
  endpoint: '/targets',
  sort: '-period_start',
  search: false,
  fields: [
    { key: 'period', type: 'text', required: true },
    { key: 'unit_id', type: 'ref', ref: 'units', required: true },
    { key: 'user_id', type: 'ref', ref: 'users' },
    { key: 'metric', type: 'enum', options: ['revenue', 'orders', 'new_customers', 'visits', 'won_deals', 'gross_margin'], filter: true, required: true },
    { key: 'value', type: 'number', required: true },
    { key: 'period_start', type: 'date', form: false },
    { key: 'period_end', type: 'date', form: false },
  ],
  canCreate: leads,
  canEdit: leads,
  canArchive: leads,
  defaults: () => ({ metric: 'revenue' }),
}

export const feedback: EntityConfig = {
  name: 'feedback',
  endpoint: '/feedback',
  sort: '-submitted_at',
  fields: [
    { key: 'submitted_at', type: 'datetime' },
    { key: 'rating', type: 'rating', width: 140 },
    { key: 'sentiment_label', type: 'sentiment', enumOf: 'sentiment', options: ['positive', 'neutral', 'negative'], filter: true, form: false },
    { key: 'text', type: 'textarea', width: 280 },
    { key: 'channel', type: 'enum', options: ['app', 'wechat', 'phone', 'store', 'email', 'survey', 'public_link'], filter: true },
    { key: 'customer_id', type: 'ref', ref: 'customers' },
    { key: 'store_id', type: 'ref', ref: 'stores' },
    { key: 'order_id', type: 'ref', ref: 'orders', list: false },
    { key: 'contact_name', type: 'text' },
    { key: 'contact', type: 'text', list: false },
  ],
  canCreate: writer,
  canEdit: writer,
  canArchive: leads,
  defaults: () => ({ channel: 'store', rating: 5 }),
}

export const materials: EntityConfig = {
  name: 'materials',
  endpoint: '/materials',
  sort: '-updated_at',
  fields: [
    { key: 'title', type: 'text', required: true, width: 220 },
    { key: 'kind', type: 'enum', enumOf: 'material_kind', options: ['brand', 'price_list', 'deck', 'template', 'training', 'other'], filter: true, required: true },
    { key: 'product_line', type: 'text' },
    { key: 'category_path', type: 'text', list: false },
    { key: 'tags', type: 'tags', width: 180 },
    { key: 'latest_version', type: 'number', form: false, width: 80 },
    { key: 'file_name', type: 'text', form: false, width: 180 },
    { key: 'unit_id', type: 'ref', ref: 'units' },
    { key: 'updated_at', type: 'datetime', form: false },
    { key: 'description', type: 'textarea', list: false },
  ],
  canCreate: leads,
  canEdit: leads,
  canArchive: leads,
  defaults: () => ({ kind: 'deck' }),
}

export const caseReviews: EntityConfig = {
  name: 'case_reviews',
  endpoint: '/case-reviews',
  sort: '-id',
  fields: [
    { key: 'title', type: 'text', required: true, width: 240 },
    { key: 'outcome', type: 'enum', enumOf: 'case_outcome', options: ['won', 'lost', 'ongoing', 'other'], filter: true, required: true },
    { key: 'customer_id', type: 'ref', ref: 'customers' },
    { key: 'opportunity_id', type: 'ref', ref: 'opportunities' },
    { key: 'tags', type: 'tags', width: 180 },
    { key: 'author_id', type: 'ref', ref: 'users', form: false },
    { key: 'unit_id', type: 'ref', ref: 'units', form: false },
    { key: 'created_at', type: 'datetime', form: false },
    { key: 'background', type: 'textarea', list: false },
    { key: 'went_well', type: 'textarea', list: false },
    { key: 'went_wrong', type: 'textarea', list: false },
    { key: 'lessons', type: 'textarea', list: false },
  ],
  canCreate: writer,
  canEdit: writer,
  canArchive: leads,
  defaults: () => ({ outcome: 'won' }),
}
