-- Label variants learned across firms (src/modules/suppliers/suppliers.shared-labels.ts): the
-- label words (`labelKey`) that people's corrections placed before a field's value, gathered only
-- from the supplier profiles of firms whose training consent is given (tenants.training_consent),
-- and published only when at least three such firms taught the same label for the same field.
-- The extraction engine reads them as labels of its general rules, for every firm.
--
-- The table holds no tenant data: no tenant id, no value, no position, no count that could name a
-- firm (`firms` is at least the publishing threshold). Each gathering replaces the whole table,
-- so a label stops being shared at the next gathering after a firm withdraws its consent or
-- deletes the profile that taught it.
--
-- Every role the API and worker use may read it; only a background gathering (the system_scan
-- setting, as for listing tenants) may change it, so no request of a firm can plant a label.
CREATE TABLE shared_label_variants (
  field      text NOT NULL CHECK (field ~ '^[a-zA-Z.]{1,40}$'),
  label      text NOT NULL CHECK (length(label) BETWEEN 3 AND 40),
  firms      integer NOT NULL CHECK (firms >= 3),
  updated_at timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (field, label)
);

ALTER TABLE shared_label_variants ENABLE ROW LEVEL SECURITY;
ALTER TABLE shared_label_variants FORCE ROW LEVEL SECURITY;
CREATE POLICY read_all ON shared_label_variants FOR SELECT USING (true);
CREATE POLICY gathering_inserts ON shared_label_variants FOR INSERT
  WITH CHECK (app_setting('app.system_scan') = 'on');
CREATE POLICY gathering_deletes ON shared_label_variants FOR DELETE
  USING (app_setting('app.system_scan') = 'on');
GRANT SELECT, INSERT, DELETE ON shared_label_variants TO doklad_app;
