-- Identity and access: passwords, sessions, TOTP factors, recovery codes, password resets,
-- invitations and integration tokens.
--
-- Several lookups happen before a tenant is known (sign-in by email, resolving a bearer token,
-- accepting an invitation, confirming a password reset). Instead of a role that bypasses RLS, the
-- runtime proves what it may see: it sets a transaction-local `app.*` value (the email being
-- signed in, or the SHA-256 of a presented secret) and a policy admits exactly the matching rows.

CREATE FUNCTION app_setting(name text) RETURNS text
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting(name, true), '') $$;

-- Users: credentials and sign-in lookup --------------------------------------------------------
ALTER TABLE users
  ADD COLUMN password_hash       text NOT NULL,
  ADD COLUMN password_changed_at timestamptz(3) NOT NULL DEFAULT now();

CREATE POLICY sign_in_lookup ON users FOR SELECT
  USING (email = app_setting('app.login_email'));

-- A person sees their own memberships in every firm (to choose or switch the tenant).
CREATE POLICY own_memberships ON memberships FOR SELECT
  USING (user_id = app_current_user_id());

-- ...and the names of those firms.
CREATE POLICY member_of ON tenants FOR SELECT
  USING (EXISTS (SELECT 1 FROM memberships m WHERE m.tenant_id = tenants.id AND m.user_id = app_current_user_id()));

ALTER TABLE tenants ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;

-- Sessions ---------------------------------------------------------------------------------
CREATE TABLE sessions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  token_hash         text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  created_at         timestamptz(3) NOT NULL DEFAULT now(),
  last_seen_at       timestamptz(3) NOT NULL DEFAULT now(),
  expires_at         timestamptz(3) NOT NULL,
  reauthenticated_at timestamptz(3) NOT NULL DEFAULT now(),
  ip                 text,
  user_agent         text,
  revoked_at         timestamptz(3),
  revoked_reason     text
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_tenant_id_user_id_idx ON sessions (tenant_id, user_id);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
CREATE POLICY bearer_lookup ON sessions FOR SELECT
  USING (token_hash = app_setting('app.session_token_hash'));
-- A person's own sessions in every firm: listing them, and revoking all on a password change.
CREATE POLICY own_sessions ON sessions
  USING (user_id = app_current_user_id())
  WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE ON sessions TO doklad_app;

-- TOTP factors and recovery codes (per person, not per firm) -------------------------------
CREATE TABLE mfa_factors (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  kind             text NOT NULL CHECK (kind = 'totp'),
  -- The TOTP seed, envelope-encrypted (see src/platform/crypto/secret-box.ts); never plaintext.
  secret_sealed    text NOT NULL,
  confirmed_at     timestamptz(3),
  -- The last accepted RFC 6238 time step: a code is never accepted twice.
  last_used_step   bigint,
  created_at       timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mfa_factors_user_id_kind_key ON mfa_factors (user_id, kind);

ALTER TABLE mfa_factors ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_factors FORCE ROW LEVEL SECURITY;
CREATE POLICY own_factors ON mfa_factors
  USING (user_id = app_current_user_id())
  WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON mfa_factors TO doklad_app;

CREATE TABLE recovery_codes (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  code_hash  text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
  used_at    timestamptz(3),
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX recovery_codes_user_id_idx ON recovery_codes (user_id);

ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY own_codes ON recovery_codes
  USING (user_id = app_current_user_id())
  WITH CHECK (user_id = app_current_user_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO doklad_app;

-- Password resets --------------------------------------------------------------------------
CREATE TABLE password_resets (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  token_hash  text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  expires_at  timestamptz(3) NOT NULL,
  used_at     timestamptz(3),
  created_at  timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX password_resets_token_hash_key ON password_resets (token_hash);
CREATE INDEX password_resets_user_id_idx ON password_resets (user_id);

ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY;
ALTER TABLE password_resets FORCE ROW LEVEL SECURITY;
CREATE POLICY own_resets ON password_resets
  USING (user_id = app_current_user_id())
  WITH CHECK (user_id = app_current_user_id());
CREATE POLICY bearer_lookup ON password_resets FOR SELECT
  USING (token_hash = app_setting('app.reset_token_hash'));
GRANT SELECT, INSERT, UPDATE ON password_resets TO doklad_app;

-- Invitations ------------------------------------------------------------------------------
CREATE TABLE invitations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  email       text NOT NULL CHECK (email = lower(email)),
  role        text NOT NULL CHECK (role IN ('owner', 'admin', 'accountant', 'viewer')),
  token_hash  text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  invited_by  uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  expires_at  timestamptz(3) NOT NULL,
  accepted_at timestamptz(3),
  revoked_at  timestamptz(3),
  created_at  timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX invitations_token_hash_key ON invitations (token_hash);
CREATE INDEX invitations_tenant_id_email_idx ON invitations (tenant_id, email);

ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
CREATE POLICY bearer_lookup ON invitations FOR SELECT
  USING (token_hash = app_setting('app.invite_token_hash'));
GRANT SELECT, INSERT, UPDATE ON invitations TO doklad_app;

-- Integration tokens -----------------------------------------------------------------------
CREATE TABLE api_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- The first characters of the token, shown in lists so people can tell tokens apart.
  prefix        text NOT NULL,
  token_hash    text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  scopes        text[] NOT NULL,
  allowed_ips   text[] NOT NULL DEFAULT '{}',
  expires_at    timestamptz(3),
  created_by    uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  last_used_at  timestamptz(3),
  last_used_ip  text,
  revoked_at    timestamptz(3)
);
CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_tenant_id_created_at_idx ON api_tokens (tenant_id, created_at);

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_tokens
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
CREATE POLICY bearer_lookup ON api_tokens FOR SELECT
  USING (token_hash = app_setting('app.api_token_hash'));
GRANT SELECT, INSERT, UPDATE ON api_tokens TO doklad_app;

-- Platform keys -------------------------------------------------------------------------------
-- KMS keys of the platform itself rather than of a tenant, e.g. the key that wraps the data keys
-- of people's TOTP seeds (people are not bound to one tenant). Holds key references only.
CREATE TABLE platform_keys (
  purpose    text PRIMARY KEY CHECK (purpose ~ '^[a-z][a-z0-9-]{1,40}$'),
  key_ref    text NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON platform_keys TO doklad_app;
