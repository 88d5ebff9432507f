DROP TABLE ledgers;
DROP TABLE releases;
DROP TABLE output_votes;
DROP TABLE output_versions;
DROP TABLE outputs;
DROP TABLE gate_params;
