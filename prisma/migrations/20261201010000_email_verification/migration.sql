-- Email verification and the platform role (security finding High 1, issue 13).
--
-- One purpose: an account counts as its email address only once the mailbox was proved, and
-- platform administrators are no longer identified by an email address at all but by a role
-- granted by an operator to an account whose address is proved. Both halves ship together
-- because the role's grant depends on the verification column.

-- Users: when the address was proved (NULL: never; every existing account starts unverified) ---
ALTER TABLE users ADD COLUMN email_verified_at timestamptz(3);

-- Email verifications --------------------------------------------------------------------------
-- A single-use link mailed to `email`: the address of the account (purpose 'signup') or the
-- address it is moving to (purpose 'email_change'). Tokens are stored only as SHA-256 and are
-- looked up, before anyone is signed in, through `app.verify_token_hash` like password resets.
CREATE TABLE email_verifications (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  email       text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
  token_hash  text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  purpose     text NOT NULL CHECK (purpose IN ('signup', 'email_change')),
  expires_at  timestamptz(3) NOT NULL,
  used_at     timestamptz(3),
  created_at  timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX email_verifications_token_hash_key ON email_verifications (token_hash);
CREATE INDEX email_verifications_user_id_purpose_idx ON email_verifications (user_id, purpose);

ALTER TABLE email_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE email_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY own_verifications ON email_verifications
  USING (user_id = app_current_user_id())
  WITH CHECK (user_id = app_current_user_id());
CREATE POLICY bearer_lookup ON email_verifications FOR SELECT
  USING (token_hash = app_setting('app.verify_token_hash'));
GRANT SELECT, INSERT, UPDATE ON email_verifications TO doklad_app;

-- Platform administrators ----------------------------------------------------------------------
-- Who may open the queue console (every tenant's jobs). The runtime role may only read its own
-- caller's row (`app.user_id`), so the API can check the role on every request but can never
-- grant it: it has SELECT only. Grants and revocations are made by an operator with the CLI,
-- which connects as the owner of the tables (MIGRATION_DATABASE_URL); FORCE ROW LEVEL SECURITY
-- applies to the owner too, hence the owner's own policy, created for whoever runs this migration.
CREATE TABLE platform_admins (
  user_id     uuid PRIMARY KEY REFERENCES users (id) ON DELETE RESTRICT,
  granted_at  timestamptz(3) NOT NULL DEFAULT now(),
  granted_by  text NOT NULL CHECK (length(granted_by) BETWEEN 1 AND 200)
);

ALTER TABLE platform_admins ENABLE ROW LEVEL SECURITY;
ALTER TABLE platform_admins FORCE ROW LEVEL SECURITY;
CREATE POLICY own_role ON platform_admins FOR SELECT
  USING (user_id = app_current_user_id());
DO $$
BEGIN
  EXECUTE format(
    'CREATE POLICY owner_maintenance ON platform_admins TO %I USING (true) WITH CHECK (true)',
    current_user
  );
END
$$;
GRANT SELECT ON platform_admins TO doklad_app;
