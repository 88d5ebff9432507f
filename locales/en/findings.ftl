# The output gate's findings on a cell (SDC-RULES.md), shown beside the cell.

finding-rule = { $rule ->
    [threshold] threshold
    [zero] zero
    [nk-rule] nk-rule
    [p-ratio] p-ratio
    [dof] dof
    [negative] negative
    [missing] missing
    [extreme] extreme
    [all-values-same] all-values-same
    [full-cell] full-cell
    [differencing] differencing
    [row-level] row-level
    [identifier] identifier
    [unknown-lineage] unknown-lineage
   *[other] { $rule }
}
finding = { $rule }: { $detail }
finding-zero = no person: an empty cell tells about the whole group
finding-threshold = { $persons ->
    [one] 1 person
   *[other] { $persons } persons
}, fewer than { $threshold }
finding-threshold-values = { $persons ->
    [one] 1 person
   *[other] { $persons } persons
} with a value, fewer than { $threshold }
finding-nk = { $n ->
    [one] the largest contributor holds
   *[other] the { $n } largest contributors hold
} { $share } of the total, { $k } or more
finding-p-ratio = the second largest contributor could estimate the largest within { $within } (needs more than { $p })
finding-dof = { $dof } degrees of freedom, fewer than { $threshold }
finding-negative = { $count ->
    [one] 1 negative value
   *[other] { $count } negative values
}
finding-missing = { $count ->
    [one] 1 row without the value
   *[other] { $count } rows without the value
}
finding-extreme-one = the { gate-statistic } is one person's value
finding-extreme-sides = { $below ->
    [one] 1 person
   *[other] { $below } persons
} at or below the value and { $above ->
    [one] 1 person
   *[other] { $above } persons
} at or above; { $needed } needed on each side
finding-extreme-unknown = the persons on each side of the value are not known
finding-all-same = every value is the same
finding-full-cell = all { $persons } persons are in this cell: no other { $column } has any, so the cell says every one of them has this { $column }
finding-full-cell-line = all { $persons } persons of { $line } are in this cell: no other { $column } has any, so the cell says every one of them has this { $column }
finding-differencing = against "{ $cell }" of release { $release }: { $here } persons only here and { $there } only there, fewer than { $threshold } either way
finding-recomputed = it can be recomputed from totals released before, whatever else is suppressed

# The gate's reasons for a whole table (stored with each judgement as messages).
gate-reason-fail = { $count ->
    [one] 1 cell fails
   *[other] { $count } cells fail
} on { finding-rule }
gate-reason-review = { $count ->
    [one] 1 cell needs
   *[other] { $count } cells need
} review on { finding-rule }
gate-reason-suppressed = { $total } cells suppressed: { $primary } failing, { $secondary } to protect them
gate-refused-lineage = { finding-rule }: { lineage-reason }
gate-refused-truncated = the result has more rows than a workspace shows; narrow the query
gate-refused-no-rules = unknown-lineage: { $function } has no disclosure rules; it cannot be released
gate-refused-hidden = { finding-rule }: { $function } chooses or orders the rows (in HAVING or ORDER BY) without being shown, and fails on a shown row, so which rows are shown tells of it; show it, or leave it out
gate-refused-uses = unknown-lineage: the result does not say which aggregates its columns come from

# Why a result is row-level or of unknown lineage (the workspace runner's codes).
lineage-reason = { $why ->
    [plan] the plan could not be traced ({ $detail })
    [no-person-column] table { $detail } has no person column
    [join-mixes] a join whose condition does not match persons on both sides puts two persons in one row
    [aggregate-many] an aggregate over many persons feeds the query's result
    [window-many] a window over rows of many persons feeds the query's result
    [union-mixed] a UNION of rows with and without persons
    [distinct-many] DISTINCT over rows of many persons feeds the query's result
    [kind] this kind of query ({ $detail }) cannot be traced to persons yet
    [window-mixes] { $detail } over the result's cells mixes the persons of many cells
    [window-untraceable] a window over the result's cells cannot be traced
    [aggregate-unreadable] an aggregate expression could not be read
    [combines] the result combines aggregates in a way whose persons cannot be traced yet
    [no-statistic] the result shows groups but no aggregate of them, so the persons behind each group cannot be judged; add COUNT(*)
    [subquery-value] a value of the result comes from a subquery over persons' rows, whose persons no evidence counts; write it as a join, or release it from a query of its own
    [record-rows] the result has one row per record, not aggregates
    [no-person-table] the query reads no table about persons
    [grouped-by-person] the result is grouped by the person identifier: one group per person
    [shows-identifiers] { $detail } of the person identifier shows identifiers
   *[other] { $detail }
}
