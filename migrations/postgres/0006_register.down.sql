ALTER TABLE projects DROP COLUMN organisation;
ALTER TABLE projects DROP COLUMN lay_summary;
