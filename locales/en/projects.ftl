# Projects: the project page, the custodians' status page, the public register.

# Words from the domain: a project's status, a member's role.
project-status = { $status ->
    [draft] draft
    [approved] approved
    [suspended] suspended
    [closed] closed
   *[other] { $status }
}
project-role = { $role ->
    [principal_investigator] Principal investigator
    [analyst] Analyst
    [observer] Observer
   *[other] { $role }
}
project-role-separator = {", "}
project-dates = { $from } to { $to }

# The project page (project.html).
project-status-label = Status
project-approved-dates = Approved dates
project-your-role = Your role
project-open-workspace = Open the workspace
project-outputs = Outputs and release requests

# The custodians' status page (project_status.html).
project-status-title = Status · { $title }
project-extract = The project's extract
project-suspend-heading = Suspend the project
project-suspend-hint = Every access ends at once: its workspace stops, and its open release requests stop.
project-reason = Reason
project-suspend = Suspend
project-lift-heading = Lift the suspension
project-lift = Lift the suspension
project-status-now = The project is { $status ->
    [draft] draft
    [approved] approved
    [suspended] suspended
    [closed] closed
   *[other] { $status }
}.
project-error-reason = Give the reason (up to 2,000 characters).

# The public register of projects (register.html).
register-title = Register of projects
register-heading = Register of approved projects
register-intro = Every project the ethics board approved, what it is for, the data it uses, and the outputs it released (their names and dates, not their contents).
register-json = Also as
register-json-link = JSON
register-json-end = .
register-empty = No project has been approved yet.
register-organisation = Organisation
register-status = Status
register-dates = Dates
register-datasets = Datasets
register-outputs = Outputs released
register-output = { $title } ({ $day })
