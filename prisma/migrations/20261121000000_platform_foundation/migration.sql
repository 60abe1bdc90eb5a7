-- Platform foundation: the runtime role, tenants, users, memberships and the tamper-evident
-- audit log. Every table that holds tenant data has ENABLE + FORCE ROW LEVEL SECURITY with a
-- policy on the transaction's `app.tenant_id`, which `db.withTenant()` sets.

-- The API and workers connect as doklad_app: not the owner of any table, no superuser, no
-- BYPASSRLS, so row-level security always applies to them. Roles are cluster-wide, hence the
-- existence check. Its password is set outside migrations (see docs/operations.md).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'doklad_app') THEN
    CREATE ROLE doklad_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO doklad_app;

-- The tenant (and user) of the current transaction, or NULL when none was set. current_setting
-- returns '' rather than NULL once a transaction-local value has been reset, hence nullif.
CREATE FUNCTION app_current_tenant_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION app_current_user_id() RETURNS uuid
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;

-- Tenants ---------------------------------------------------------------------------------
CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  region      text NOT NULL CHECK (region ~ '^[a-z0-9-]{2,32}$'),
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'offboarded')),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
  USING (id = app_current_tenant_id())
  WITH CHECK (id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE ON tenants TO doklad_app;

-- Users -----------------------------------------------------------------------------------
-- A person can belong to several tenants, so users carry no tenant_id. A user row is visible
-- to the user themself and to the tenants they are a member of; nothing else.
CREATE TABLE users (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email       text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Memberships -----------------------------------------------------------------------------
CREATE TABLE memberships (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  role        text NOT NULL CHECK (role IN ('owner', 'admin', 'accountant', 'viewer')),
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX memberships_tenant_id_user_id_key ON memberships (tenant_id, user_id);
CREATE INDEX memberships_tenant_id_role_idx ON memberships (tenant_id, role);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO doklad_app;

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY own_or_member ON users
  USING (
    id = app_current_user_id()
    OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = app_current_tenant_id())
  )
  WITH CHECK (
    id = app_current_user_id()
    OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.tenant_id = app_current_tenant_id())
  );
GRANT SELECT, INSERT, UPDATE ON users TO doklad_app;

-- Append-only protection shared by the audit tables. It fires for every role, the owner and
-- superusers included; only disabling the trigger itself (which needs the owner) gets past it,
-- and the hash chain makes that detectable.
CREATE FUNCTION reject_audit_modification() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Audit events ----------------------------------------------------------------------------
-- Per tenant, events form a hash chain: hash = sha256(prev_hash || canonical JSON of the
-- event), seq increases by one without gaps. See src/modules/audit/audit-chain.ts.
CREATE TABLE audit_events (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  seq          bigint NOT NULL CHECK (seq >= 1),
  occurred_at  timestamptz(3) NOT NULL,
  actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'token', 'system', 'worker')),
  actor_id     text NOT NULL,
  action       text NOT NULL CHECK (action ~ '^[a-z][a-z_]*(\.[a-z][a-z_]*)+$'),
  target_type  text,
  target_id    text,
  request_id   text,
  ip           text,
  user_agent   text,
  payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash    text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash         text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE UNIQUE INDEX audit_events_tenant_id_seq_key ON audit_events (tenant_id, seq);
CREATE INDEX audit_events_tenant_id_action_occurred_at_idx ON audit_events (tenant_id, action, occurred_at);
CREATE INDEX audit_events_tenant_id_target_type_target_id_idx ON audit_events (tenant_id, target_type, target_id);

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT ON audit_events TO doklad_app;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION reject_audit_modification();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_modification();

-- Audit checkpoints -----------------------------------------------------------------------
-- A checkpoint is an Ed25519 signature over a tenant's chain head (seq + hash), so that even
-- someone who can rewrite the whole chain consistently cannot do it without the signing key.
CREATE TABLE audit_checkpoints (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  seq         bigint NOT NULL CHECK (seq >= 1),
  head_hash   text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  key_id      text NOT NULL,
  signature   text NOT NULL,
  signed_at   timestamptz(3) NOT NULL
);
CREATE UNIQUE INDEX audit_checkpoints_tenant_id_seq_key ON audit_checkpoints (tenant_id, seq);

ALTER TABLE audit_checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_checkpoints
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT ON audit_checkpoints TO doklad_app;

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION reject_audit_modification();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_modification();
