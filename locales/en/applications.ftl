# Applications for projects: the applicant's pages and the ethics board's.

# Words from the domain: an application's state, a board member's vote, the board's decision.
app-state = { $state ->
    [draft] draft
    [submitted] with the ethics board
    [changes_requested] changes requested by the board
    [approved] approved
    [rejected] rejected
    [withdrawn] withdrawn
    [amending] approved; an amendment is being written
    [amendment_submitted] approved; an amendment is with the ethics board
   *[other] { $state }
}
app-vote = { $vote ->
    [approve] approve
    [approve_with_conditions] approve with conditions
    [request_changes] request changes
    [reject] reject
   *[other] { $vote }
}

# The applicant's list (applications.html).
app-list-title = Your applications
app-list-apply = Apply for a project
app-list-empty = You have not applied yet.
app-list-application = Application
app-list-state = State
app-list-version = Version

# The application page (application.html).
app-title = Application
app-new-heading = Apply for a project
app-back = Your applications
app-state-label = State
app-submitted-versions = Submitted versions
app-project = Project
app-project-link = the approved project
app-heading-amend = Amend the approved application (the project changes only when the board approves)
app-heading-edit = Edit the draft
app-heading-new = Your application
app-form-title = Title
app-form-purpose = Research purpose
app-form-lay-summary = Lay summary (shown on the public register)
app-form-public-benefit = Public benefit
app-form-organisation = Organisation
app-form-team = Team members' usernames (besides you)
app-form-datasets = Datasets (from the catalogue: { $catalogue })
app-form-data-request = Tables, columns, cohort and row criteria wanted
app-form-ethics-reference = Ethics committee reference
app-form-starts-on = Start date (YYYY-MM-DD)
app-form-ends-on = End date (YYYY-MM-DD)
app-form-outputs-intended = Outputs you intend to release
app-save = Save the draft
app-submit = Submit to the ethics board
app-the-application = The application
app-withdraw = Withdraw the application
app-withdraw-amendment = Withdraw the amendment

# What was applied for (application_fields.html, on the applicant's and the board's pages).
app-field-purpose = Purpose
app-field-lay-summary = Lay summary
app-field-public-benefit = Public benefit
app-field-organisation = Organisation
app-field-team = Team
app-field-datasets = Datasets
app-field-data-request = Data wanted
app-field-ethics-reference = Ethics reference
app-field-dates = Dates
app-field-dates-value = { $from } to { $to }
app-field-outputs-intended = Intended outputs

# The board's decisions and votes (application_board.html). The decision is as stored.
app-decisions = The board's decisions
app-decision = Version { $version }: { $outcome ->
    [approved] approved
    [rejected] rejected
    [changes_requested] changes_requested
    [amendment_approved] amendment_approved
    [amendment_rejected] amendment_rejected
   *[other] { $outcome }
}
app-decision-condition = ; condition: { $condition }
app-votes = Votes on the current version
app-vote-cast = { $name }: { $vote }
app-vote-comment = : { $comment }

# The board's queue (board_queue.html).
board-queue-title = Applications for the board
board-queue-heading = Applications waiting for the board
board-queue-empty = Nothing is waiting.
board-queue-application = Application
board-queue-applicant = Applicant
board-queue-version = Version

# The board's review page (board_review.html).
board-review-title = Board review · { $title }
board-review-back = Back to the queue
board-review-applicant = Applicant
board-review-state = State
board-review-version = Version
board-changes = Changes since version { $version }
board-changes-none = This version changes nothing from the one before.
board-conflicts = Conflicts of interest
board-declared-conflicted = { $name }: conflicted
board-declared-free = { $name }: no conflict
board-declared-note = {" "}({ $note })
board-declare-legend = Do you have a conflict of interest with this application?
board-declare-no = No
board-declare-yes = Yes
board-declare-note = Note
board-declare = Declare
board-conflicted = You declared a conflict of interest: you cannot vote on this application.
board-vote-legend = Your vote on version { $version }
board-vote-comment = Comment (conditions, changes wanted or reasons)
board-vote = Vote
board-error-declare = Say whether you have a conflict of interest.
board-error-vote = Choose a vote.
