-- Processing pipeline: extraction runs and versioned extraction results.

-- The current processing run of a document: jobs of older runs are ignored, so a retried or
-- duplicated job can never write a second result for the same run.
ALTER TABLE documents
  ADD COLUMN processing_run_id uuid,
  ADD COLUMN failure_reason    text,
  ADD COLUMN queued_at         timestamptz(3),
  ADD COLUMN validated_at      timestamptz(3),
  ADD COLUMN exported_at       timestamptz(3);
CREATE INDEX documents_tenant_id_status_idx ON documents (tenant_id, status, updated_at);

-- Every result of the engine and every correction by a person is a new version; nothing is
-- overwritten.
CREATE TABLE extractions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  document_id      uuid NOT NULL REFERENCES documents (id) ON DELETE RESTRICT,
  version          integer NOT NULL CHECK (version >= 1),
  origin           text NOT NULL CHECK (origin IN ('engine', 'user')),
  run_id           uuid,
  result           jsonb NOT NULL,
  needs_review     boolean NOT NULL,
  created_by_kind  text NOT NULL,
  created_by_id    text NOT NULL,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  CHECK ((origin = 'engine') = (run_id IS NOT NULL))
);
CREATE UNIQUE INDEX extractions_document_id_version_key ON extractions (document_id, version);
CREATE UNIQUE INDEX extractions_document_id_run_id_key ON extractions (document_id, run_id);
CREATE INDEX extractions_tenant_id_document_id_idx ON extractions (tenant_id, document_id);

ALTER TABLE extractions ENABLE ROW LEVEL SECURITY;
ALTER TABLE extractions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON extractions
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT ON extractions TO doklad_app;
