ALTER TABLE notifications DROP COLUMN emailed_at;
ALTER TABLE people DROP COLUMN email;
