-- Tenant privacy: suspension by the platform, offboarding with a grace period and a purge that
-- keeps only the audit chain, a signed erasure receipt, and the firm's training consent.
--
-- Status lifecycle (owned by src/modules/tenants/tenants.status.ts):
--   active <-> suspended          a platform administrator (CLI) blocks every access
--   active  -> offboarding        an owner asks to close the firm; only export and cancel work
--   offboarding -> active         the owner cancels within the grace period
--   offboarding -> offboarded     the purge job, after purge_after
-- A status change already notifies the principal caches (tenants_principal_change, migration
-- 20261201030000), so suspension and offboarding apply to the very next request in every process.

ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check
  CHECK (status IN ('active', 'suspended', 'offboarding', 'offboarded'));

ALTER TABLE tenants
  -- May the firm's documents and corrections improve extraction beyond the firm itself? Off
  -- until an owner says yes (GDPR: the firm is the controller, we only process on instruction).
  ADD COLUMN training_consent boolean NOT NULL DEFAULT false,
  ADD COLUMN training_consent_changed_at timestamptz(3),
  ADD COLUMN status_changed_at timestamptz(3),
  ADD COLUMN status_reason text CHECK (length(status_reason) <= 500),
  ADD COLUMN offboarding_requested_at timestamptz(3),
  ADD COLUMN purge_after timestamptz(3),
  ADD CONSTRAINT tenants_offboarding_purge_after CHECK (status <> 'offboarding' OR purge_after IS NOT NULL);

CREATE INDEX tenants_status_purge_after_idx ON tenants (status, purge_after);

-- Erasure receipts ------------------------------------------------------------------------
-- One per offboarded tenant, kept after the purge like the audit chain. The row is created when
-- the owner asks to close the firm (with the hash of the receipt token they were shown once),
-- and filled, signed, when the purge finishes; from then on it is immutable. An offboarded
-- tenant whose purge_after is still set has a receipt to issue (the purge job finishes it). After the purge no
-- member remains, so the receipt is found by its token alone (app.receipt_token_hash).
CREATE TABLE erasure_receipts (
  tenant_id     uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE RESTRICT,
  token_hash    text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  requested_at  timestamptz(3) NOT NULL,
  -- What the purge destroyed (blobs, key, rows), written in the purge's own transaction, so the
  -- receipt can still be issued after a crash between the purge and the signature.
  destroyed     jsonb,
  issued_at     timestamptz(3),
  receipt       jsonb,
  key_id        text,
  signature     text,
  CHECK ((issued_at IS NULL) = (receipt IS NULL)
     AND (receipt IS NULL) = (signature IS NULL)
     AND (signature IS NULL) = (key_id IS NULL))
);
CREATE UNIQUE INDEX erasure_receipts_token_hash_key ON erasure_receipts (token_hash);

ALTER TABLE erasure_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasure_receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON erasure_receipts
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
CREATE POLICY receipt_token_lookup ON erasure_receipts FOR SELECT
  USING (token_hash = app_setting('app.receipt_token_hash'));
GRANT SELECT, INSERT, UPDATE ON erasure_receipts TO doklad_app;

-- An issued receipt never changes (the same guard as the audit tables).
CREATE TRIGGER erasure_receipts_issued_immutable BEFORE UPDATE ON erasure_receipts
  FOR EACH ROW WHEN (OLD.issued_at IS NOT NULL) EXECUTE FUNCTION reject_audit_modification();
CREATE TRIGGER erasure_receipts_no_delete BEFORE DELETE ON erasure_receipts
  FOR EACH ROW EXECUTE FUNCTION reject_audit_modification();
CREATE TRIGGER erasure_receipts_no_truncate BEFORE TRUNCATE ON erasure_receipts
  FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_modification();

-- The purge ---------------------------------------------------------------------------------
-- The runtime role may not DELETE documents, keys, extractions, tokens or sessions (they are
-- never deleted in normal operation). The purge is the one exception, so it is one narrow
-- function rather than broad grants: it runs as the owner, only for the tenant of the calling
-- transaction (app.tenant_id, so RLS still confines every statement to it), and only while that
-- tenant is `offboarding` (the service checks the grace period with its own clock first). The
-- audit chain, its checkpoints, the erasure receipt and the tenant row itself (they reference
-- it) stay. Returns the number of rows deleted per table, for the receipt.
CREATE FUNCTION purge_offboarding_tenant_rows(p_tenant uuid) RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
DECLARE
  counts jsonb := '{}'::jsonb;
  deleted bigint;
  tbl text;
BEGIN
  IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM app_current_tenant_id() THEN
    RAISE EXCEPTION 'purge_offboarding_tenant_rows: only the tenant of the current transaction'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM 1 FROM tenants WHERE id = p_tenant AND status = 'offboarding' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'purge_offboarding_tenant_rows: the tenant is not offboarding'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- Children before parents (every foreign key is ON DELETE RESTRICT).
  FOREACH tbl IN ARRAY ARRAY[
    'api_token_uses', 'api_tokens', 'webhook_deliveries', 'webhook_endpoints', 'extractions',
    'document_keys', 'documents', 'companies', 'idempotency_keys', 'retention_policies',
    'invitations', 'sessions', 'memberships'
  ] LOOP
    EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', tbl) USING p_tenant;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    counts := counts || jsonb_build_object(tbl, deleted);
  END LOOP;
  RETURN counts;
END
$$;
REVOKE ALL ON FUNCTION purge_offboarding_tenant_rows(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_offboarding_tenant_rows(uuid) TO doklad_app;
