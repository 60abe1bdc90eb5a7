-- Encrypted document storage: companies, documents with their wrapped data keys, retention
-- policies, idempotency keys, the tenant's key-encryption key, and token-to-company restriction.

-- Each tenant's key-encryption key in the KMS (created with the tenant; older tenants get one on
-- first upload).
ALTER TABLE tenants ADD COLUMN kek_ref text;

-- Background sweeps (retention, trash purge) must find the tenants that have work. This setting
-- admits reading tenant rows (ids and names, nothing else is there) for such a scan; everything
-- they then do happens inside each tenant's own context.
CREATE POLICY system_scan ON tenants FOR SELECT
  USING (app_setting('app.system_scan') = 'on');

-- Companies (the firm's clients) ----------------------------------------------------------------
CREATE TABLE companies (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  vat_id          text CHECK (vat_id ~ '^[A-Z]{2}[A-Z0-9+*]{2,13}$'),
  registration_id text CHECK (length(registration_id) BETWEEN 1 AND 40),
  country         text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX companies_tenant_id_name_idx ON companies (tenant_id, name);
CREATE INDEX companies_tenant_id_vat_id_idx ON companies (tenant_id, vat_id);

ALTER TABLE companies ENABLE ROW LEVEL SECURITY;
ALTER TABLE companies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON companies
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON companies TO doklad_app;

-- An integration token may be limited to some companies (empty = all of the firm's).
ALTER TABLE api_tokens ADD COLUMN company_ids uuid[] NOT NULL DEFAULT '{}';

-- Documents ----------------------------------------------------------------------------------
CREATE TABLE documents (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  company_id         uuid REFERENCES companies (id) ON DELETE RESTRICT,
  status             text NOT NULL CHECK (status IN ('received', 'stored', 'queued', 'extracting', 'extracted',
                                                     'needs_review', 'failed', 'validated', 'exported')),
  type               text NOT NULL CHECK (type IN ('invoice', 'credit_note', 'receipt', 'other')),
  filename           text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type       text NOT NULL,
  size_bytes         bigint NOT NULL CHECK (size_bytes >= 0),
  sha256             text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  external_ref       text CHECK (length(external_ref) BETWEEN 1 AND 200),
  blob_name          text NOT NULL,
  segment_size       integer NOT NULL,
  issue_date         date,
  retain_until       date NOT NULL,
  legal_hold         boolean NOT NULL DEFAULT false,
  legal_hold_reason  text,
  trashed_at         timestamptz(3),
  trash_reason       text,
  purge_after        timestamptz(3),
  purged_at          timestamptz(3),
  created_by_kind    text NOT NULL,
  created_by_id      text NOT NULL,
  created_at         timestamptz(3) NOT NULL DEFAULT now(),
  updated_at         timestamptz(3) NOT NULL DEFAULT now(),
  CHECK ((trashed_at IS NULL) = (purge_after IS NULL))
);
-- The same content is stored once per tenant (until it is purged).
CREATE UNIQUE INDEX documents_tenant_id_sha256_key ON documents (tenant_id, sha256) WHERE purged_at IS NULL;
CREATE INDEX documents_tenant_id_created_at_id_idx ON documents (tenant_id, created_at DESC, id DESC);
CREATE INDEX documents_tenant_id_company_id_idx ON documents (tenant_id, company_id);
CREATE INDEX documents_tenant_id_retain_until_idx ON documents (tenant_id, retain_until) WHERE trashed_at IS NULL;
CREATE INDEX documents_tenant_id_purge_after_idx ON documents (tenant_id, purge_after) WHERE purged_at IS NULL;

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON documents
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON documents TO doklad_app;

-- Each document's data key, wrapped by the tenant's KEK. Purging sets wrapped_dek to NULL.
CREATE TABLE document_keys (
  document_id  uuid PRIMARY KEY REFERENCES documents (id) ON DELETE RESTRICT,
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  wrapped_dek  bytea,
  key_ref      text NOT NULL,
  algorithm    text NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  destroyed_at timestamptz(3),
  CHECK ((wrapped_dek IS NULL) = (destroyed_at IS NOT NULL))
);
CREATE INDEX document_keys_tenant_id_idx ON document_keys (tenant_id);

ALTER TABLE document_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_keys
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON document_keys TO doklad_app;

-- Retention policies ---------------------------------------------------------------------------
CREATE TABLE retention_policies (
  tenant_id      uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE RESTRICT,
  default_years  integer NOT NULL CHECK (default_years BETWEEN 1 AND 100),
  -- Years per document type, e.g. {"receipt": 5}; types not listed use default_years.
  type_years     jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at     timestamptz(3) NOT NULL DEFAULT now()
);

ALTER TABLE retention_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_policies
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON retention_policies TO doklad_app;

-- Idempotency keys -----------------------------------------------------------------------------
CREATE TABLE idempotency_keys (
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  request_hash   text NOT NULL,
  resource_id    uuid NOT NULL,
  status_code    integer NOT NULL,
  created_at     timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT ON idempotency_keys TO doklad_app;
