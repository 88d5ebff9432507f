# The analyst's workspace.

ws-title = Workspace · { $project }
ws-heading = Workspace: { $project }
ws-tables = Tables
ws-table-rows = ({ $rows } rows)
ws-columns-of = Columns of { $table }
ws-column = Column
ws-type = Type
ws-class = Class
ws-description = Description
ws-class-name = { $class ->
    [identifier] Identifier
    [quasi_identifier] Quasi-identifier
    [sensitive] Sensitive
   *[other] Other
}
ws-person-column = person (the project's pseudonyms)
ws-identifying = identifying
ws-outputs-link = Outputs and release requests
ws-sql-label = SQL (one read-only query)
ws-run = Run
ws-did-not-run = The query did not run
ws-cancelled = The query was cancelled.
ws-result = Result
ws-lineage-before = For the output gate, this result is
ws-lineage-name = { $lineage }
ws-lineage-why = : { $why }.
ws-lineage-after = .
ws-gate-before = The gate's judgement:
ws-gate-after = .
ws-gate-status = { $status }
ws-gate-counts = { $fail } cell(s) fail, { $review } need review, { $pass } pass. Focus or point at a cell to see why.
ws-persons-behind = persons behind the cell
ws-mark = { $level ->
    [fail] fails
    [pass] passes
   *[review] review
}
ws-no-rule-broken = { $persons } persons behind this cell; no rule is broken.
ws-more-rows = More rows were left out of this page.
ws-save-label = Save this result as an output, to see the gate's findings and ask for its release:
ws-save-placeholder = Title
ws-save = Save as output
ws-no-extract = This workspace is open to you: your accreditation, membership and the project's approval were checked and recorded just now. The project's extract is not yet built, so there are no tables to query.
ws-history = Your recent queries
ws-history-when = When
ws-history-query = Query
ws-history-outcome = Outcome
ws-history-actions = Actions
ws-history-result = { $status ->
    [ok] { $rows ->
        [one] 1 row
       *[other] { $rows } rows
    }
    [refused] refused
    [cancelled] cancelled
   *[other] error
}
ws-history-rerun = Run again
ws-chart-bar = { $measure } by { $group }
ws-chart-line = { $measure } over { $group }
ws-chart-left-out = { $count ->
    [0] Every bar is shown.
   *[other] { $count } bar(s) left out: the gate would not release them (marked ✕ below the axis).
}
ws-js-running = Running… { "{" }seconds{ "}" } s
ws-js-cancel = Cancel
ws-js-cancelling = Cancelling…
ws-js-previous = Previous
ws-js-next = Next
ws-js-rows = Rows { "{" }from{ "}" }–{ "{" }to{ "}" } of { "{" }total{ "}" }
ws-js-suggestions = { "{" }count{ "}" } suggestions
ws-js-pager = Pages of the result

# The administrators' page of the workspace runners.
runners-title = Workspace runners
runners-machine = This machine
runners-protections-hold = Every protection of the runners holds on this machine:
runners-protections-missing = Protections unavailable on this machine: { $why }
runners-queries = { $count ->
    [one] One query is running now.
   *[other] { $count } queries are running now.
}
runners-caption = Runners started since the server started, by project
runners-project = Project
runners-extract = Extract
runners-process = Process
runners-state = State
runners-idle = Idle for
runners-protections = Protections
runners-running = { $running ->
    [true] running
   *[other] stopped
}
runners-idle-seconds = { $seconds } s
runners-in-force = { $active ->
    [true] in force:
   *[other] not in force:
}
runners-protection = { $name ->
    [network] No network
    [parent-death] Ends with the server
    [address-space] Memory limit
    [file-size] File size limit
    [core-dumps] No core dumps
    [filesystem] Files limited to the extract and spill folder
   *[other] { $name }
}
runners-none = No runner is running: each starts with its workspace's first query and stops after 15 minutes unused.

# The gate's summary above a result, and a chart's caption.
ws-chart-caption = { $title }. { $left }

# The project's outputs, listed in the workspace.
ws-outputs = Outputs and release requests
ws-outputs-none = No output has been saved in this project yet.
ws-outputs-hint = Open an output to see the gate's findings, the custodians' votes and comments, and to ask for its release.

# Two queries of the history compared.
ws-compare-side = { $side ->
    [a] A (before)
   *[b] B (after)
}
ws-compare-pick = { $side ->
    [a] Compare as A (before): your query of { $when }
   *[b] Compare as B (after): your query of { $when }
}
ws-compare-hint = Choose one query as A and another as B, then compare them to see which lines changed.
ws-compare = Compare A with B
ws-compare-title = Compare queries · { $project }
ws-compare-heading = Compare queries: { $project }
ws-compare-rerun = { $side ->
    [a] Run A again
   *[b] Run B again
}
ws-compare-changes = Changes from A to B
ws-compare-identical = The two queries are the same, line for line.
ws-compare-counts = { $removed ->
    [one] 1 line removed
   *[other] { $removed } lines removed
} (only in A), { $added ->
    [one] 1 line added
   *[other] { $added } lines added
} (only in B).
ws-diff-removed = removed:
ws-diff-added = added:
ws-compare-missing = Choose two queries of your history to compare, one as A and one as B, and try again.
