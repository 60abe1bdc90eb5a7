-- Supplier profiles: what Doklad learned from a firm's corrections about one of its suppliers.
-- A profile holds the supplier's constant master data (name, VAT ID, company id, IBAN) and, per
-- corrected field, a hint saying where on that supplier's layout the value is printed (page,
-- label, place relative to it, the value's shape: src/extraction/hints/types.ts). The pipeline
-- hands a tenant's profiles to the engine, which tries the hints on the supplier's next document.
-- The *_key columns are the identity keys the profile is found by (upper-case letters and digits
-- for ids, the folded name for names), so a lookup never normalises in SQL.
--
-- Learning stays within the tenant: RLS (ENABLE + FORCE) on app.tenant_id like every tenant
-- table. Nothing here is shared across tenants; cross-tenant learning would need the tenants'
-- training consent (tenants.training_consent) and is not built.
CREATE TABLE supplier_profiles (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  name         text CHECK (length(name) <= 200),
  vat_id       text CHECK (length(vat_id) <= 40),
  company_id   text CHECK (length(company_id) <= 40),
  iban         text CHECK (length(iban) <= 40),
  name_key     text CHECK (length(name_key) <= 200),
  vat_key      text CHECK (vat_key ~ '^[A-Z0-9]{1,40}$'),
  company_key  text CHECK (company_key ~ '^[A-Z0-9]{1,40}$'),
  iban_key     text CHECK (iban_key ~ '^[A-Z0-9]{1,40}$'),
  -- One hint per field at most (15 fields in the extraction contract).
  hints        jsonb NOT NULL DEFAULT '[]'::jsonb
               CHECK (jsonb_typeof(hints) = 'array' AND jsonb_array_length(hints) <= 15),
  -- Values of constant fields (currency, buyer name, buyer VAT ID) people entered where the page
  -- printed none: {"currency": "INR"}.
  constants    jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(constants) = 'object'),
  -- Correction events the profile learned from.
  corrections  integer NOT NULL DEFAULT 0 CHECK (corrections >= 0),
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now(),
  CHECK (coalesce(vat_key, company_key, iban_key, name_key) IS NOT NULL)
);
CREATE INDEX supplier_profiles_tenant_id_created_at_id_idx ON supplier_profiles (tenant_id, created_at, id);
CREATE INDEX supplier_profiles_tenant_id_vat_key_idx ON supplier_profiles (tenant_id, vat_key) WHERE vat_key IS NOT NULL;
CREATE INDEX supplier_profiles_tenant_id_company_key_idx ON supplier_profiles (tenant_id, company_key) WHERE company_key IS NOT NULL;
CREATE INDEX supplier_profiles_tenant_id_iban_key_idx ON supplier_profiles (tenant_id, iban_key) WHERE iban_key IS NOT NULL;
CREATE INDEX supplier_profiles_tenant_id_name_key_idx ON supplier_profiles (tenant_id, name_key) WHERE name_key IS NOT NULL;

ALTER TABLE supplier_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE supplier_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON supplier_profiles
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
-- DELETE: a person removes a profile and with it every effect it has on later documents.
GRANT SELECT, INSERT, UPDATE, DELETE ON supplier_profiles TO doklad_app;

-- The positioned words of a document's latest engine run (text PDFs and OCR; none for XML), so a
-- person's correction can be located on the page without reading the document again. Kept apart
-- from the immutable extraction versions: one row per document, replaced by each engine run.
-- The words are the document's content: they go when the document is purged (trigger below),
-- like its data key, and with the tenant at offboarding.
CREATE TABLE document_text_layers (
  document_id  uuid PRIMARY KEY REFERENCES documents (id) ON DELETE RESTRICT,
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
  run_id       uuid,
  layer        jsonb NOT NULL CHECK (jsonb_typeof(layer) = 'object'),
  created_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX document_text_layers_tenant_id_idx ON document_text_layers (tenant_id);

ALTER TABLE document_text_layers ENABLE ROW LEVEL SECURITY;
ALTER TABLE document_text_layers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_text_layers
  USING (tenant_id = app_current_tenant_id())
  WITH CHECK (tenant_id = app_current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON document_text_layers TO doklad_app;

-- A purged document's words go in the purge's own transaction (and tenant context).
CREATE FUNCTION delete_purged_document_text_layer() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = public, pg_temp
  AS $$
BEGIN
  DELETE FROM document_text_layers WHERE tenant_id = NEW.tenant_id AND document_id = NEW.id;
  RETURN NEW;
END
$$;
CREATE TRIGGER documents_purged_text_layer
  AFTER UPDATE OF purged_at ON documents
  FOR EACH ROW WHEN (NEW.purged_at IS NOT NULL AND OLD.purged_at IS NULL)
  EXECUTE FUNCTION delete_purged_document_text_layer();

-- The purge of an offboarded tenant removes its profiles and text layers too (the function of
-- 20261202031000, with the two tables added to its list, before documents).
CREATE OR REPLACE FUNCTION purge_offboarding_tenant_rows(p_tenant uuid) RETURNS jsonb
  LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  AS $$
DECLARE
  counts jsonb := '{}'::jsonb;
  deleted bigint;
  tbl text;
BEGIN
  IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM app_current_tenant_id() THEN
    RAISE EXCEPTION 'purge_offboarding_tenant_rows: only the tenant of the current transaction'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM 1 FROM tenants WHERE id = p_tenant AND status = 'offboarding' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'purge_offboarding_tenant_rows: the tenant is not offboarding'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOREACH tbl IN ARRAY ARRAY[
    'export_jobs', 'api_token_uses', 'api_tokens', 'webhook_deliveries', 'webhook_endpoints',
    'supplier_profiles', 'document_text_layers',
    'extractions', 'document_keys', 'documents', 'companies', 'idempotency_keys',
    'retention_policies', 'invitations', 'sessions', 'memberships'
  ] LOOP
    EXECUTE format('DELETE FROM %I WHERE tenant_id = $1', tbl) USING p_tenant;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    counts := counts || jsonb_build_object(tbl, deleted);
  END LOOP;
  RETURN counts;
END
$$;
