-- Audit sequencer: writers append audit events unchained in their own transaction, without a
-- per-tenant lock; a chainer in the worker assigns seq, prev_hash and hash shortly after commit
-- (src/modules/audit/audit-chainer.ts). One tenant's throughput then grows with its writers,
-- and the chain order is the order in which the chainer saw events committed.

-- Existing rows were chained in the transaction that recorded them, so for them the moment of
-- chaining is the moment they occurred. The append-only trigger would refuse this backfill,
-- so it is dropped first and replaced below.
DROP TRIGGER audit_events_append_only ON audit_events;

-- A per-table sequence stamps every event at insert: monotonic in insert order (gaps allowed,
-- e.g. after rollbacks), it orders the chainer's backlog. It says nothing about commit order.
CREATE SEQUENCE audit_events_ingest_id_seq AS bigint;
ALTER TABLE audit_events
  ADD COLUMN ingest_id bigint NOT NULL DEFAULT nextval('audit_events_ingest_id_seq'),
  ADD COLUMN chained_at timestamptz(3);
ALTER SEQUENCE audit_events_ingest_id_seq OWNED BY audit_events.ingest_id;
UPDATE audit_events SET chained_at = occurred_at;

ALTER TABLE audit_events
  ALTER COLUMN seq DROP NOT NULL,
  ALTER COLUMN prev_hash DROP NOT NULL,
  ALTER COLUMN hash DROP NOT NULL,
  ADD CONSTRAINT audit_events_chained_all_or_nothing CHECK (
    (seq IS NULL AND prev_hash IS NULL AND hash IS NULL AND chained_at IS NULL)
    OR (seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL AND chained_at IS NOT NULL)
  );
-- The chainer's backlog per tenant (and the tenants that have one): only unchained rows, so it
-- stays as small as the backlog.
CREATE INDEX audit_events_unchained_idx ON audit_events (tenant_id, ingest_id) WHERE seq IS NULL;

-- Append-only, with one exception: an unchained event may be chained exactly once. The only
-- UPDATE allowed sets seq, prev_hash, hash and chained_at from NULL to values and leaves every
-- other column as it was (compared as whole rows minus those four, so a column added later is
-- protected without touching this function). DELETE stays refused by this trigger and TRUNCATE
-- by audit_events_no_truncate, for every role including the owner and superusers.
CREATE FUNCTION guard_audit_event_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  chain_columns CONSTANT text[] := ARRAY['seq', 'prev_hash', 'hash', 'chained_at'];
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL AND OLD.chained_at IS NULL
     AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
     AND NEW.chained_at IS NOT NULL
     AND (to_jsonb(OLD) - chain_columns) = (to_jsonb(NEW) - chain_columns) THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL THEN
    RAISE EXCEPTION 'audit_events is append-only: an unchained event may only have its chain columns set, once'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION guard_audit_event_change();

-- The runtime role inserts only the event's own columns (seq, hashes, chained_at and ingest_id
-- cannot be supplied, so every event enters unchained and gets its ingest id from the sequence)
-- and may update only the chain columns; the trigger above narrows that to chaining once.
-- The existing tenant_isolation policy (FOR ALL) admits the chainer's UPDATE within its tenant.
REVOKE INSERT ON audit_events FROM doklad_app;
GRANT INSERT (id, tenant_id, occurred_at, actor_kind, actor_id, action, target_type, target_id,
              request_id, ip, user_agent, payload)
  ON audit_events TO doklad_app;
GRANT UPDATE (seq, prev_hash, hash, chained_at) ON audit_events TO doklad_app;
GRANT USAGE ON SEQUENCE audit_events_ingest_id_seq TO doklad_app;

-- The chainer must find the tenants that have a backlog before it can enter any tenant's
-- context. This function returns only those tenant ids (nothing about the events). It runs as
-- its owner, the migration role; when that role is not a superuser, FORCE ROW LEVEL SECURITY
-- applies to it too, so a policy for the owner admits the scan while app.audit_backlog_scan is on.
-- Only the function turns it on, and the setting means nothing to any other role: the runtime role
-- is not the owner, so setting the variable itself gives it nothing. (set_config rather than a SET
-- clause on the function: PostgreSQL lets only superusers attach an unknown parameter to one.)
DO $$
BEGIN
  EXECUTE format(
    'CREATE POLICY audit_backlog_scan ON audit_events FOR SELECT TO %I '
    'USING (current_setting(''app.audit_backlog_scan'', true) = ''on'')',
    current_user);
END
$$;

CREATE FUNCTION audit_tenants_with_unchained(max_tenants int) RETURNS SETOF uuid
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  PERFORM set_config('app.audit_backlog_scan', 'on', true);
  RETURN QUERY SELECT DISTINCT e.tenant_id FROM public.audit_events e WHERE e.seq IS NULL LIMIT max_tenants;
  PERFORM set_config('app.audit_backlog_scan', 'off', true);
END
$$;
REVOKE ALL ON FUNCTION audit_tenants_with_unchained(int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_tenants_with_unchained(int) TO doklad_app;
