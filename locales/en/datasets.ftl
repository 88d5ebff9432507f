# The catalogue of datasets (datasets.html).

ds-title = Datasets
ds-ingest-link = Ingest a dataset
ds-col-dataset = Dataset
ds-col-description = Description
ds-col-person-column = Person column
ds-col-latest-version = Latest version
ds-empty = No datasets yet.

# Ingesting a dataset (dataset_upload.html and its handler).

ds-upload-title = Ingest a dataset
# The dataset and version just committed, as in "claims version 2".
ds-upload-dataset-version = { $dataset } version { $version }
ds-upload-done = Committed { $version }: { $tables } tables.
ds-upload-name = Dataset name (a new name creates a dataset; an existing one adds a version)
ds-upload-description = Description
ds-upload-person-column = Column that identifies persons
ds-upload-files = Files, one per table (.csv with a header line, or .parquet)
ds-upload-button = Ingest
ds-upload-hint = Nothing is kept unless every file is read without error; the new version is then recorded in one step.
ds-upload-not-stored = the upload could not be stored
ds-upload-malformed = the upload was interrupted or malformed
ds-upload-interrupted = { $file }: the upload was interrupted
ds-upload-wrong-format = { $file }: only .csv and .parquet files can be ingested
# A file whose name cannot name a table; the problem comes from the program in English.
ds-upload-bad-file-name = { $file }: { $problem }
ds-upload-no-file = choose at least one file

# A version of a dataset: its tables, columns and dictionary (dataset_version.html and its handler).

ds-version-title = { $dataset } v{ $version }
ds-version-heading = version { $version }
ds-versions = Versions
ds-versions-label = Versions:
ds-person-column-label = Persons are identified by
ds-person-column-change = Change and count persons again
ds-person-column-hint = Applies to every version. Not possible once an extract has been built from this dataset.
ds-counts-hint = Counts are rounded. The catalogue shows the shape of the data, never its values.
ds-rows = Rows
ds-persons = Persons
ds-source-file = Source file
ds-sha256 = SHA-256
ds-col-column = Column
ds-col-type = Type
ds-col-class = Class
ds-col-edit = Edit
ds-person-tag = person
ds-may-be-missing = (may be missing)
ds-description-of = Description of { $column }
ds-class-of = Class of { $column }
ds-save = Save
# A rounded count: "about 300" (the number is already rounded and grouped).
ds-count-about = about { $count }
ds-count-fewer-than-10 = fewer than 10
ds-no-persons = no persons
ds-column-class = { $class ->
    [identifier] Identifier
    [quasi_identifier] Quasi-identifier
    [sensitive] Sensitive
    [other] Other
   *[unknown] { $class }
}
ds-unknown-class = unknown column class
# Counting persons again failed in one version; the problem comes from the program in English.
ds-person-column-version-problem = version { $version }: { $problem }

# A project's extract: current extract, protocol, preview, build (extract.html and its handler).

extract-title = Extract · { $project }
extract-heading = Extract for { $project }
extract-project-status = { $status ->
    [draft] draft
    [approved] approved
    [suspended] suspended
    [closed] closed
   *[other] { $status }
}
# The approved period, as in "1 Apr 2026 to 31 Mar 2027".
extract-period = { $from } to { $to }
extract-project-line = Project status: { $status }, approved { $period }
extract-suspend-link = suspend or lift
extract-current = Current extract
extract-current-version = Version { $version }; manifest SHA-256
extract-col-table = Table
extract-col-rows = Rows
extract-col-persons = Persons
extract-col-sha256 = SHA-256
extract-none = No extract has been built for this project.
extract-protocol = Protocol
extract-protocol-label = Protocol (JSON: dataset, version, tables with columns and filters, cohort, date_shift_days, birth_year_bands)
extract-preview-button = Preview
extract-preview-heading = What this protocol keeps
extract-col-rows-kept = Rows kept
extract-col-persons-kept = Persons kept
extract-col-columns-kept = Columns kept
extract-col-columns-dropped = Columns dropped
# Kept out of all, as in "120 of 300".
extract-of = { $part } of { $whole }
extract-build-button = Build this extract
# The protocol text is not a protocol; the problem comes from the JSON reader in English.
extract-protocol-invalid = the protocol is not valid JSON for a protocol: { $problem }
