-- Tenant data exports: one archive per request (documents as originals, extractions with every
-- version, companies, members without secrets, the retention policy, the audit log with its
-- checkpoints), stored encrypted under the tenant's key like a document, downloaded once through
-- a link that expires.
CREATE TABLE export_jobs (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  requested_by         text NOT NULL,
  status               text NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'running', 'ready', 'failed')),
  documents_total      integer NOT NULL DEFAULT 0 CHECK (documents_total >= 0),
  documents_done       integer NOT NULL DEFAULT 0 CHECK (documents_done >= 0),
  blob_name            text CHECK (blob_name ~ '^exports/[0-9a-f-]{36}\.tar$'),
  size_bytes           bigint CHECK (size_bytes >= 0),
  sha256               text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  wrapped_dek          bytea,
  key_ref              text,
  algorithm            text,
  segment_size         integer,
  failure_reason       text CHECK (length(failure_reason) <= 500),
  download_token_hash  text CHECK (download_token_hash ~ '^[0-9a-f]{64}$'),
  download_expires_at  timestamptz(3),
  downloaded_at        timestamptz(3),
  created_at           timestamptz(3) NOT NULL DEFAULT now(),
  finished_at          timestamptz(3)
);
CREATE INDEX export_jobs_tenant_id_created_at_idx ON export_jobs (tenant_id, created_at);

ALTER TABLE export_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE export_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON export_jobs
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON export_jobs TO doklad_app;

-- The purge of an offboarded tenant removes its exports too (the function of 20261202030000,
-- with export_jobs added to its list).
CREATE OR REPLACE FUNCTION purge_offboarding_tenant_rows(p_tenant uuid) RETURNS jsonb
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
  FOREACH tbl IN ARRAY ARRAY[
    'export_jobs', 'api_token_uses', 'api_tokens', 'webhook_deliveries', 'webhook_endpoints',
    'extractions', 'document_keys', 'documents', 'companies', 'idempotency_keys',
    'retention_policies', 'invitations', 'sessions', 'memberships'
  ] LOOP
    EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', tbl) USING p_tenant;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    counts := counts || jsonb_build_object(tbl, deleted);
  END LOOP;
  RETURN counts;
END
$$;
