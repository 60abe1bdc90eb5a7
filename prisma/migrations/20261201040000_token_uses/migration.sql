-- Every use of an integration token, one row each: who (token), when, from where, what (method,
-- route template) and the answer's status. Written in batches by the API (tokens.use-recorder.ts)
-- instead of one audited transaction per request; each batch is summarised, with a digest of its
-- rows, in one chained `token.used` audit event per token, so the rows are tamper-evident too.
CREATE TABLE api_token_uses (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  token_id    uuid NOT NULL REFERENCES api_tokens (id) ON DELETE RESTRICT,
  used_at     timestamptz(3) NOT NULL,
  ip          text,
  method      text NOT NULL CHECK (length(method) BETWEEN 1 AND 16),
  route       text NOT NULL CHECK (length(route) BETWEEN 1 AND 300),
  status_code integer NOT NULL CHECK (status_code BETWEEN 100 AND 599),
  request_id  text CHECK (length(request_id) <= 200)
);
CREATE INDEX api_token_uses_tenant_id_token_id_used_at_idx ON api_token_uses (tenant_id, token_id, used_at);

ALTER TABLE api_token_uses ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_token_uses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_token_uses
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT ON api_token_uses TO doklad_app;

-- Append-only, like the audit log it backs.
CREATE TRIGGER api_token_uses_append_only
  BEFORE UPDATE OR DELETE ON api_token_uses
  FOR EACH ROW EXECUTE FUNCTION reject_audit_modification();
CREATE TRIGGER api_token_uses_no_truncate
  BEFORE TRUNCATE ON api_token_uses
  FOR EACH STATEMENT EXECUTE FUNCTION reject_audit_modification();
