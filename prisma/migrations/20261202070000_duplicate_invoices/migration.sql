-- Duplicate invoices: the same invoice arriving twice as two different files (a scan and the
-- PDF, or the same PDF re-saved) has different bytes, so the upload's sha256 deduplication does
-- not see it. After extraction the pipeline stores the invoice's key (normalised invoice number
-- and gross total; supplier identity and issue date are compared on the few candidates the key
-- finds) and, when another active document of the tenant carries the same invoice, the id of
-- that document. Validating a duplicate needs an explicit override whose reason is kept here, and
-- the ERP export never hands over a duplicate without one.
--
-- Only columns are added: the documents table's RLS policy (ENABLE + FORCE, on app.tenant_id)
-- and its table-level grants to doklad_app already cover them. duplicate_of has no foreign key
-- on purpose: documents are never deleted (purge keeps the row), and a plain uuid keeps the
-- pipeline's same-tenant lookup the only way a value gets there.
ALTER TABLE documents
  ADD COLUMN invoice_key text,
  ADD COLUMN duplicate_of uuid,
  ADD COLUMN duplicate_override_reason text;

-- The duplicate lookup: tenant first, then the key; bounded by a LIMIT in the query.
CREATE INDEX documents_tenant_id_invoice_key_idx ON documents (tenant_id, invoice_key)
  WHERE invoice_key IS NOT NULL;
