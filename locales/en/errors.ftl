# Words built away from the pages: rules the stores enforce, refusals, notifications, and the
# texts of error pages. Each is read in the language of whoever sees it.

error-form-malformed = The form was incomplete or malformed. Go back and try again.

## Accreditation
lapse = { $why ->
    [no_training] no completed training is recorded
    [training_expired] training expired on { $on }
    [training_not_completed] training is recorded as completed in the future
   *[no_declaration] the researcher declaration has not been signed
}
invalid-date = “{ $value }” is not a date like 2026-04-01.
invalid-course = A course name has 1 to 200 characters.
invalid-training-dates = The expiry date must be after the completion date.
invalid-declaration-version = A declaration version has 1 to 40 characters.

## Accounts
invalid-username = A username has 2 to 64 characters: letters, digits, “.”, “_” or “-”, starting with a letter or digit.
invalid-display-name = A name has 1 to 120 characters and no control characters.
invalid-password = A password has 12 to 256 characters.
account-has-authenticator = This account already has an authenticator.
username-taken = The username { $username } is taken.
own-admin-role = You cannot remove your own administrator role.
invalid-email = “{ $value }” is not an email address.
reset-needs-password = A password reset needs a new password.
no-such-language = There is no language “{ $value }” here.
password-not-set = The password could not be set. Try again.

## Access decisions (law 2)
denial-mfa = Sign in with your one-time code first.
denial-inactive = Your account is deactivated.
denial-accreditation = Your accreditation is not valid: { lapse }.
denial-no-project = There is no such project.
denial-not-approved = The project is { project-status }; only approved projects can be used.
denial-not-started = The project's approval starts on { $on }.
denial-ended = The project's approval ended on { $on }.
denial-not-member = You are not a member of this project.
denial-membership-inactive = Your membership of this project is not active.
denial-not-permitted = Your role in this project does not allow this.
denial-policy-error = Access could not be decided, so it is denied.
nobody-called = Nobody is called { $username }.

## Applications to the ethics board
app-field-name = { $field ->
    [title] title
    [purpose] purpose
    [lay_summary] lay summary
    [public_benefit] public benefit
    [organisation] organisation
    [data_request] data request
    [ethics_reference] ethics committee reference
    [outputs_intended] intended outputs
    [starts_on] start date
    [ends_on] end date
   *[other] { $field }
}
app-field-required = The { app-field-name } is required.
app-field-too-long = The { app-field-name } is longer than { $max } characters.
app-bad-date = The { app-field-name } is not a date like 2026-04-01.
app-no-dataset = Choose at least one dataset.
app-dates-order = The end date must come after the start date.
app-end-past = The end date is in the past.
app-title-needed = Give the application a title (up to 200 characters).
app-note-too-long = The note is longer than { $max } characters.
app-comment-too-long = The comment is longer than { $max } characters.
app-no-approved-version = This application has no approved version.
app-unknown-dataset = The catalogue has no dataset { $dataset }.
app-unknown-table = The chosen datasets have no table { $table }.
app-unknown-column = The table { $table } has no column { $column }.
app-not-submittable = This application is { app-state }; it cannot be submitted.
app-not-accredited = Only accredited people can apply: { lapse }.
app-project-closed = The project is closed; it cannot be amended.
app-unknown-team = These team members are not people of the platform: { $people }.
app-vote-not-open = This application is { app-state }; it is not waiting for votes.
app-vote-not-declared = Declare whether you have a conflict of interest first.
app-vote-conflicted = You declared a conflict of interest, so you cannot vote on it.
app-vote-already = You have voted on this version already.
app-vote-own = You are on this application's team, so you cannot vote on it.
app-vote-comment-needed = Write the conditions, the changes wanted or the reason for rejecting in the comment.
app-not-editable = This application is { app-state }; it cannot be edited.
app-not-withdrawable = This application is { app-state }; it cannot be withdrawn.
app-declared-already = You have declared already for this application.

## Notifications
notification-text = { $text }
notification-email-subject = Trusted research environment: a notification
notification-email = { $message }

    Sign in to the platform to see more. This message was sent automatically.

## Projects
project-bad-transition = A { project-status } project cannot become { $to ->
    [draft] a draft
    [approved] approved
    [suspended] suspended
   *[closed] closed
}.
notify-accreditation-ends = Your accreditation ends on { $until }, in { $days } days: renew your training or declaration before then, or your access ends that day.
notify-project-status = The project “{ $title }” { $status ->
    [suspended] was suspended
    [approved] is open again
   *[closed] was closed
}: { $reason }.
notify-new-identity = A new identity from { $provider } ({ $who }) signed in and waits to be linked to a person: see Identities.
notify-application-waits = { $amendment ->
    [true] An amendment of
   *[false] The application
} “{ $title }” (version { $version }) waits for the ethics board.
notify-application-decided = The ethics board decided on “{ $title }”: { app-state }.
notify-membership = { $joined ->
    [true] You joined the project
   *[false] Your membership ended in the project
} “{ $title }” with an approved amendment.
notify-amendment-decided = The ethics board decided on the amendment of “{ $title }”: { $outcome ->
    [approved] approved; the project now follows it
    [rejected] rejected; the project stays as it was
   *[changes_requested] changes requested
}.

## Outputs and their release
out-field-name = { $field ->
    [title] title
    [purpose] purpose
    [columns_note] note on the columns
    [sdc_note] disclosure note
    [reason] reason
    [comment] comment
   *[other] { $field }
}
out-field-required = The { out-field-name } is required.
out-field-too-long = The { out-field-name } is longer than { $max } characters.
out-not-submittable = This output is { out-state }; it cannot be asked for now.
out-not-revisable = This output is { out-state }; it cannot change.
out-not-withdrawable = This output is { out-state }; it cannot be withdrawn.
out-gate-fails = The gate fails this version: suppress the failing cells or change the query, then ask again.
out-gate-refuses = The gate refuses this query (no mitigation helps); change the query.
out-vote-not-open = This output is { out-state }; it is not waiting for votes.
out-vote-requester = You asked for this release, so you cannot review it.
out-vote-member = You are or were a member of this project, so you cannot review its outputs.
out-vote-already = You have voted on this version already.
out-vote-comment-needed = Say what should change, or why it is rejected, in the comment.
out-project-not-open = The project's approval has ended or is suspended; its release requests are stopped.
out-release-not-judged = The output must be judged again before it is released; vote again.
out-release-changed = Run again now, this version gives a different table (the extract changed?); the analyst must make a new version.
out-release-ledger-moved = Another output was released meanwhile; vote again so the gate checks against it.
out-release-gate = Judged again now, the gate says { gate-status }: the analyst must make a new version.
out-ledger-changed = The ledger changed while the output was judged; vote again.
gate-params-invalid = The params file is not valid: { $problem }
notify-output-waits = The output “{ $title }” (version { $version }) waits for release review.
notify-output-decided = Your output “{ $title }” is { out-state }.
notify-output-decided-comment = Your output “{ $title }” is { out-state }: { $comment }

## Datasets and their ingest
invalid-dataset-name = “{ $value }” is not a dataset name: use 2 to 64 lower-case letters, digits, “_” or “-”, starting with a letter.
invalid-table-name = “{ $value }” cannot name a table: use a letter, then letters, digits or “_”.
invalid-description = A description has at most 1,000 characters.
ingest-unreadable = { $file }: cannot be read ({ $problem }).
ingest-unlistable = { $file }: cannot be listed ({ $problem }).
ingest-empty-folder = { $file }: the folder has no .csv or .parquet files.
ingest-wrong-format = { $file }: only .csv and .parquet files can be ingested.
ingest-bad-table-name = { $file }: the file's name cannot name a table (use a letter, then letters, digits or “_”).
ingest-second-file = { $file }: a second file for table { $table }.
ingest-header-unreadable = { $file }, line 1: the header cannot be read.
ingest-empty-file = { $file }: the file is empty.
ingest-unnamed-column = { $file }, line 1: column { $column } has no name.
ingest-column-twice = { $file }: the column name “{ $column }” appears twice.
ingest-header-column-twice = { $file }, line 1: the column name “{ $column }” appears twice.
ingest-table-person-type = Table { $table }, column { $column }: a person identifier must be whole numbers or text, not { $found }.
ingest-header-only = { $file }: the file has a header but no rows.
ingest-value-type = { $file }, line { $line }, column { $column }: a value does not fit the type { $expected } that earlier lines gave this column.
ingest-field-count = { $file }, line { $line }: the line has a different number of fields than the header.
ingest-not-parquet = { $file }: not a readable Parquet file.
ingest-not-csv = { $file }: cannot be read as CSV.
ingest-store-url = The store URL is invalid.
ingest-person-type = { $file }, column { $column }: a person identifier must be whole numbers or text, not { $found }.
ingest-table-unreadable = Table { $table }: cannot be read.
ingest-persons-uncountable = Table { $table }: persons cannot be counted.
ingest-person-missing-rows = Table { $table }, column { $column }: the person identifier is missing in { $count } rows.
ingest-no-such-column = No table of version { $version } has a column “{ $column }”.
ingest-no-columns = { $file }: the file has no columns.
ingest-person-missing = { $file }, { $unit ->
    [line] line
   *[row] row
} { $at }, column { $column }: the person identifier is missing.
ingest-no-rows = { $file }: the file has no rows.
ingest-no-person-column = No table has the person column “{ $column }”: name the column that identifies persons.
ingest-person-column-needed = Name the column that identifies persons.
ingest-not-recorded = The version could not be recorded: { $problem }
ds-person-column-differs = Dataset { $dataset } identifies persons by “{ $column }”; a new version must use the same column.
ds-person-column-used = Extracts have been built from this dataset with its person column; ingest a new dataset to use another.
ds-version-arrived = A new version arrived while persons were counted; try again.

## Forms and signing in through an institution
error-form-too-large = The form is too large.
error-form-expired = This form has expired or did not come from this site. Reload the page and try again.
oidc-unknown-provider = There is no such sign-in service.
oidc-unavailable = Your institution's sign-in service cannot be reached just now. Try again in a few minutes.
oidc-bad-state = This sign-in link was already used or did not start here. Start again from the sign-in page.
oidc-provider-error = Your institution's sign-in service did not sign you in ({ $problem }). Start again from the sign-in page.
oidc-failed-checks = The answer from your institution's sign-in service failed our checks, so you are not signed in. Start again from the sign-in page; if it happens again, tell the administrators.
oidc-blocked = This identity is blocked on this platform. Ask the administrators.
oidc-not-linked = Your institution signed you in, but this identity is not yet linked to a person on this platform, so it has no access. The administrators have been told; once they link it, sign in again.
oidc-no-active-person = There is no active person with that username.

## The workspace engine (the English reads as the runner's own messages)
engine-refused = refused: { $detail }
engine-syntax = { $detail }
engine-planning = { $detail }
engine-failed = { $detail }
engine-timed-out = the query took longer than the workspace's limit of { $seconds } s
engine-busy = { $detail }; wait for one to finish
engine-setup = the workspace engine could not start: { $detail }
engine-stopped = the workspace engine stopped while running the query ({ $detail }); it starts again with the next query
engine-unavailable = the workspace engine is unavailable

## Extracts
extract-no-table = The protocol names no table.
extract-date-shift = A date shift is at most 365 days.
extract-table-twice = Table { $table } appears twice in the protocol.
extract-no-column = Table { $table }: choose at least one column.
extract-column-twice = Table { $table }: column { $column } appears twice.
extract-filter-long = A filter has at most 2,000 characters.
extract-filter-function = Table { $table }: the function { $function } is not allowed in a filter.
extract-filter-shape = Table { $table }: a filter may only compare the row's own columns (no subquery, aggregate or window).
extract-project-not-open = Project { $project } is { project-status } and { $in_date ->
    [true] in date
   *[false] out of date
}: extracts are built for approved projects within their dates.
extract-filter-unparsed = Table { $table }: the filter “{ $filter }” does not parse or names an unknown column.
extract-unknown-table = The dataset version has no table { $table }.
extract-cohort-no-person = The cohort table { $table } has no person column.
extract-unknown-column = Table { $table } has no column { $column }.
extract-rare-text = Rare categories apply to text columns; { $table }.{ $column } is { $found }.
extract-rare-persons = Rare categories need persons; table { $table } has none.
extract-pseudonym-collision = Two persons received the same pseudonym in this project; the build stops (report this to the platform team).
extract-no-key = Project { $project } has no key: it has not been approved.
extract-no-project = There is no project { $project }.
extract-no-dataset = There is no dataset { $dataset }.
extract-no-version = Dataset { $dataset } has no version { $version }.
extract-build-failed = The extract could not be built: { $step } failed. The cause is in the server's log.
