-- Straight-through processing: the firm's automation level for extracted documents.
--   never      every document waits for a person (the default, as before)
--   confident  the worker validates a document itself when every field is at or above
--              automation_threshold, no error or warning finding exists, it is no duplicate,
--              and its supplier has at least automation_min_validated validated documents
--   always     the worker validates every document without error findings that is no duplicate
-- The settings are columns of the tenant row, so the tenant's own RLS policy (id = the current
-- tenant) and the runtime role's existing grants on tenants cover them; no new table.

ALTER TABLE tenants
  ADD COLUMN automation_level text NOT NULL DEFAULT 'never'
    CHECK (automation_level IN ('never', 'confident', 'always')),
  -- Calibrated confidence (0..1) every field of an automated document must reach.
  ADD COLUMN automation_threshold double precision NOT NULL DEFAULT 0.99
    CHECK (automation_threshold >= 0.5 AND automation_threshold <= 1),
  -- Validated documents of the same supplier required before one of its documents is automated.
  ADD COLUMN automation_min_validated integer NOT NULL DEFAULT 1
    CHECK (automation_min_validated >= 0 AND automation_min_validated <= 1000),
  ADD COLUMN automation_changed_at timestamptz(3);
