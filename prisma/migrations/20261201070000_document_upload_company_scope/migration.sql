-- The companies an upload's principal was limited to (an integration token's company
-- restriction), recorded with the document. The worker assigns a document to a company from its
-- extracted buyer VAT ID only inside this set, so a token limited to company A can never place a
-- document into company B by uploading an invoice addressed to B. Empty means the uploader had no
-- company restriction, as for api_tokens.company_ids. Existing documents keep that meaning: their
-- uploaders are not known to have been restricted, and rows uploaded before this column existed
-- have already been through extraction.
ALTER TABLE documents ADD COLUMN upload_company_ids uuid[] NOT NULL DEFAULT '{}';
