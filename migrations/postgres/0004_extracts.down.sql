DROP TABLE extract_tables;
DROP TABLE extracts;
DROP TABLE project_keys;
