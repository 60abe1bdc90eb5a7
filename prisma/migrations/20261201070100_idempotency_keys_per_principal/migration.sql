-- Idempotency keys belong to the principal that sent them, not to the whole firm: with keys
-- shared across a tenant, a company-restricted token that sent another principal's key (keys are
-- often predictable: order numbers, file names) was answered with that principal's document.
-- The key is now unique per (tenant, actor kind, actor id, key), and a replay is answered only
-- when the caller can still see the document (documents.service.ts).
ALTER TABLE idempotency_keys
  ADD COLUMN actor_kind text NOT NULL DEFAULT 'unknown',
  ADD COLUMN actor_id text NOT NULL DEFAULT 'unknown';

-- Existing keys were all created by document uploads, so their principal is the document's
-- uploader. A row this cannot attribute (not visible to the migrating role under forced row-level
-- security) keeps 'unknown', which matches no principal: its key no longer replays, and sending
-- the same content again finds the stored document by its hash as any duplicate does.
UPDATE idempotency_keys k
   SET actor_kind = d.created_by_kind, actor_id = d.created_by_id
  FROM documents d
 WHERE d.tenant_id = k.tenant_id AND d.id = k.resource_id;

ALTER TABLE idempotency_keys
  ALTER COLUMN actor_kind DROP DEFAULT,
  ALTER COLUMN actor_id DROP DEFAULT,
  DROP CONSTRAINT idempotency_keys_pkey,
  ADD PRIMARY KEY (tenant_id, actor_kind, actor_id, key);
