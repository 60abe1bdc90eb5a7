-- Acknowledging an ERP hand-off (POST /v1/extractions/:id/ack) now needs its own permission,
-- `extractions:export`, instead of `extractions:write`. Live integration tokens that could
-- acknowledge before (they hold `extractions:write`) get `extractions:export` too, so running ERP
-- agents keep working; revoked tokens stay as they were. Each grant is recorded in the firm's
-- audit trail (unchained, like every new event: the chainer links it), so the change of a token's
-- scopes is never silent. No schema change: scopes are the text[] api_tokens.scopes.
WITH extended AS (
  UPDATE api_tokens
     SET scopes = array_append(scopes, 'extractions:export')
   WHERE revoked_at IS NULL
     AND 'extractions:write' = ANY (scopes)
     AND NOT ('extractions:export' = ANY (scopes))
  RETURNING id, tenant_id
)
INSERT INTO audit_events (tenant_id, occurred_at, actor_kind, actor_id, action, target_type, target_id, payload)
SELECT tenant_id, now(), 'system', 'migration:20261202010000', 'token.scopes_extended', 'token', id::text,
       jsonb_build_object(
         'added', jsonb_build_array('extractions:export'),
         'reason', 'acknowledging exports moved from extractions:write to extractions:export'
       )
  FROM extended;
