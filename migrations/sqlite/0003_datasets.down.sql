DROP TABLE dataset_columns;
DROP TABLE dataset_tables;
DROP TABLE dataset_versions;
DROP TABLE datasets;
