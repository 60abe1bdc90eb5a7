-- The audit API and the off-box copy of the audit log.
--
-- 1. Indexes for GET /v1/audit-events: its keyset pagination walks (occurred_at, id) within a
--    tenant, and the actor and request id filters are the ones an administrator reaches for first
--    ("what did this token do", "what did this request do"). Action prefix and target filters
--    already have (tenant_id, action, occurred_at) and (tenant_id, target_type, target_id).
CREATE INDEX audit_events_tenant_id_occurred_at_id_idx ON audit_events (tenant_id, occurred_at, id);
CREATE INDEX audit_events_tenant_id_actor_id_occurred_at_idx ON audit_events (tenant_id, actor_id, occurred_at);
CREATE INDEX audit_events_tenant_id_request_id_idx ON audit_events (tenant_id, request_id)
  WHERE request_id IS NOT NULL;

-- 2. Where each tenant's chain stands at each off-box sink (ASVS 16.4.3): the sink has received
--    every chained event up to delivered_seq, in seq order. The worker pushes the next batch,
--    and only a 2xx from the sink moves the cursor, so every event arrives at least once and in
--    order. A lease keeps two worker replicas from pushing the same tenant at once; failures and
--    the next attempt are kept for GET /v1/audit/verification.
CREATE TABLE audit_sink_cursors (
  tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  sink                  text NOT NULL CHECK (sink ~ '^[a-z0-9-]{1,32}$'),
  delivered_seq         bigint NOT NULL DEFAULT 0 CHECK (delivered_seq >= 0),
  delivered_hash        text CHECK (delivered_hash ~ '^[0-9a-f]{64}$'),
  last_delivered_at     timestamptz(3),
  consecutive_failures  integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
  last_error            text CHECK (length(last_error) <= 500),
  last_attempt_at       timestamptz(3),
  next_attempt_at       timestamptz(3),
  leased_until          timestamptz(3),
  created_at            timestamptz(3) NOT NULL DEFAULT now(),
  updated_at            timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, sink)
);

ALTER TABLE audit_sink_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_sink_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_sink_cursors
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
-- No DELETE: forgetting a cursor would make the sink receive the whole chain again (harmless,
-- at least once) but also hide how far it had got.
GRANT SELECT, INSERT, UPDATE ON audit_sink_cursors TO doklad_app;
