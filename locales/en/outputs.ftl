# Words shared by the output pages: an output's state, the gate's status, the treatments,
# custodians' votes.

out-state = { $state ->
    [draft] draft
    [submitted] waiting for custodians
    [changes_requested] changes requested
    [released] released
    [rejected] rejected
    [withdrawn] withdrawn
    [stopped] stopped (the project's access ended)
   *[other] { $state }
}
gate-status = { $status ->
    [pass] pass
    [review] review
    [fail] fail
    [refused] refused
   *[other] { $status }
}
out-mitigation = { $mitigation ->
    [none] none
    [suppress] suppress failing cells
    [suppress_round] suppress, then round counts
    [suppress_midpoint6] suppress, then round counts by midpoint-6
   *[other] { $mitigation }
}
# A custodian's vote, as in "Kenji Sato approved".
out-vote = { $name } { $vote ->
    [approve] approved
    [request_changes] requested changes
    [reject] rejected
   *[other] { $vote }
}
# The comment that follows a vote.
out-vote-comment = : { $comment }
out-col-output = Output
out-asked-by = Asked for by
out-version = Version
out-comments = Custodians' comments
out-state-label = State
out-gate = Gate
out-parameters = Parameters
out-sql = SQL
out-purpose = Purpose
out-columns-note = What each column means
out-sdc-note = Disclosure control note
out-treatment = Treatment

# A project's outputs and the form to save one (outputs.html and its handler).

out-list-title = Outputs · { $project }
out-list-heading = Outputs of { $project }
out-back-to-workspace = Back to the workspace
out-yours = Your outputs
out-none-yet = No outputs yet. Save a result below, or from the workspace.
out-save-heading = Save a result as an output
out-save-hint = The gate runs the query again and judges every cell before anything is asked for.
out-title = Title
out-save-button = Save and judge
out-choose-treatment = Choose one of the offered treatments.
out-query-required = The query is required.
# The query failed; the problem comes from the query engine in English.
out-query-failed = The query did not run: { $problem }

# One output: its state, release, findings, votes, next steps, versions (output.html and its handler).

out-all-of-project = All outputs of { $project }
out-released = Released
out-release-intro = Release { $id }:
out-release-table = the table (CSV)
# Between the links to the table and to the manifest.
out-release-and = and
out-release-manifest = its manifest
out-sha256 = SHA-256
out-found = What the gate found
out-query = Query
out-votes-heading = Custodians' votes on this version
out-next = Next
out-ask-release = Ask for release
out-withdraw = Withdraw
out-new-version = Make a new version
out-judge-new = Judge the new version
out-versions = Versions
# A version in the list: "Version 2: pass, suppress failing cells, parameters platform v1", built
# from the three messages below.
out-version-item = Version { $version }: { $rest }
out-version-judged = { $status }, { $mitigation }
out-version-params = { $judged }, parameters { $params }
out-not-released = This output has not been released; only released files can be downloaded.

# The query and the analyst's notes (output_notes.html).

out-notes-purpose = Purpose
out-notes-columns = Columns
out-notes-disclosure = Disclosure note

# The gate's findings cell by cell (judgement.html). The findings' own texts come from the gate.

gate-col-group = Group
gate-col-column = Column
gate-statistic = { $statistic ->
    [count] count
    [sum] sum
    [mean] mean
    [median] median
    [percentile] percentile
    [min] min
    [max] max
    [std] std
    [var] var
    [mode] mode
   *[other] { $statistic }
}
gate-params-version = { $version ->
    [defaults] the defaults
   *[other] { $version }
}
gate-col-statistic = Statistic
gate-col-value = Published value
gate-col-persons = Persons
gate-col-findings = Findings
gate-col-evidence = Evidence
gate-evidence-with-value = { $count } with a value
gate-evidence-shares = largest { $largest }, top two { $top_two } of the total
gate-evidence-missing = { $count } missing
gate-evidence-negative = { $count } negative
gate-evidence-all-same = all values the same
gate-evidence-sides = persons at or below the value: { $below }; at or above: { $above }
gate-evidence-persons = { $count }
gate-evidence-at-least = { $count } or more
gate-suppressed = suppressed ({ $kind ->
    [primary] primary
    [secondary] secondary
   *[other] { $kind }
})
# A finding's severity and the rule's name, as in "fail: threshold".
gate-finding = { $severity ->
    [review] review
    [fail] fail
   *[other] { $severity }
}: { $rule }
# A group's column over all its values, as in "sex=(total)".
gate-group-total = (total)

# A custodian's review of an output (review.html and its handler).

review-title = Review · { $output }
review-heading = Review: { $output }
review-back = Back to the queue
review-project = Project
review-extract = Extract
review-query-sha256 = Query SHA-256
# The extract the query ran over.
review-extract-version = version { $version } (manifest { $manifest })
review-notes = Query and notes
review-cells = Cells and their evidence
review-overlaps = Earlier releases it overlaps
review-no-overlaps = No cell differs from a released cell by fewer persons than the threshold.
review-votes = Votes on this version
review-no-votes = No votes yet.
review-your-vote = Your vote
review-approve = Approve
review-request-changes = Request changes
review-reject = Reject
review-comment = Comment (needed to request changes or reject)
review-vote-button = Vote
review-choose-vote = Choose approve, request changes or reject.

# The custodians' queue (review_queue.html).

review-queue-title = Outputs to review
review-queue-heading = Outputs waiting for review
review-queue-empty = Nothing is waiting.
review-queue-project = Project
review-queue-version = (version { $version })

# The gate's parameters per scope (gate_params.html and its handler).

gate-params-title = The gate's parameters
gate-params-hint = A project's own parameters come first, then its dataset's, then the platform's, then the defaults of SDC-RULES.md. Each change is a new version; every judgement records the version it used.
gate-params-scope = Scope
gate-params-show = Show
gate-params-new-version = New version for { $scope }
gate-params-label = Parameters (JSON: threshold, nk_n, nk_k, p, dof_threshold, zeros_are_disclosive, check_missing_values, round_base)
gate-params-reason = Reason
gate-params-set = Set
gate-params-versions = Versions
gate-params-none = None set for this scope.
gate-params-set-by = Set by
gate-params-bad-scope = The scope is platform, dataset:NAME or project:ID.
