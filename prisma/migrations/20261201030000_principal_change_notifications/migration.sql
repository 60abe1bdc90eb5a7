-- Principal change notifications.
--
-- API processes cache the principal behind a bearer token (session or integration token) for a
-- few seconds, so an ordinary request does not re-read sessions, memberships, tenants and MFA
-- factors. Every change that can alter what a principal may do must reach every process's cache
-- at once: these triggers send a NOTIFY on the channel `doklad_principals` whenever such a row
-- changes. PostgreSQL delivers a notification only when (and if) the transaction commits, so a
-- cache is never told about a change that was rolled back. The payload names what to forget:
-- `tenant:<uuid>` (everyone in that firm) or `user:<uuid>` (that person, in every firm).
--
-- The same payload is also raised as a NOTICE to the connection that made the change, while the
-- statement runs: the process that made the change forgets the entry at once, without waiting for
-- its own notification (so the very next request of the same client never meets a stale entry).
--
-- Only the columns that feed a principal count: refreshing `sessions.last_seen_at` (once a minute
-- per session) or `api_tokens.last_used_at` must not empty the caches.

CREATE FUNCTION notify_principal_change() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  changed record;
  payload text;
BEGIN
  IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
  -- One branch per kind of table: a record field is resolved only when its statement runs.
  IF TG_ARGV[0] = 'tenant' THEN
    payload := 'tenant:' || changed.tenant_id::text;
  ELSIF TG_ARGV[0] = 'tenant_row' THEN
    payload := 'tenant:' || changed.id::text;
  ELSIF TG_ARGV[0] = 'user' THEN
    payload := 'user:' || changed.user_id::text;
  ELSE
    payload := 'user:' || changed.id::text;
  END IF;
  PERFORM pg_notify('doklad_principals', payload);
  RAISE NOTICE USING MESSAGE = 'doklad_principals ' || payload;
  RETURN NULL;
END
$$;

-- Sessions: revocation, expiry and step-up time are part of the cached principal.
CREATE TRIGGER sessions_principal_change
  AFTER UPDATE OF revoked_at, expires_at, reauthenticated_at, tenant_id, user_id OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change('user');

-- Memberships: a role change or removal changes what the person, and tokens they created, may do.
CREATE TRIGGER memberships_principal_change
  AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change('tenant');

-- Tenants: status (suspension, offboarding) and the firm's MFA requirement.
CREATE TRIGGER tenants_principal_change
  AFTER UPDATE OF status, require_mfa OR DELETE ON tenants
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change('tenant_row');

-- TOTP factors: enrolling or removing the second factor changes the MFA facts of a session.
CREATE TRIGGER mfa_factors_principal_change
  AFTER INSERT OR UPDATE OF confirmed_at OR DELETE ON mfa_factors
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change('user');

-- Integration tokens: revocation, scopes, allowlists, companies and expiry.
CREATE TRIGGER api_tokens_principal_change
  AFTER UPDATE OF revoked_at, scopes, allowed_ips, company_ids, expires_at, created_by OR DELETE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change('tenant');

-- People: a new password revokes sessions (above) too; the address is part of who they are.
CREATE TRIGGER users_principal_change
  AFTER UPDATE OF password_hash, email OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION notify_principal_change('user_row');
