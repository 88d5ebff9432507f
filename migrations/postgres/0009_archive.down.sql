ALTER TABLE board_decisions DROP COLUMN ends_on;
ALTER TABLE extracts DROP COLUMN archived_at;
