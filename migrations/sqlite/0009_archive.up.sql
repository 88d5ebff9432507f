-- A closed project's extracts are archived (kept in the object store for reproducing its
-- releases, never served again); board decisions record the end date they approved.
ALTER TABLE extracts ADD COLUMN archived_at BIGINT;
ALTER TABLE board_decisions ADD COLUMN ends_on TEXT NOT NULL DEFAULT '';
