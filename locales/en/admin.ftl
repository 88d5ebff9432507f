# The administrators' pages. Platform roles and accreditation come from accounts.ftl.

# Shared: a username that matches no one (people's audit filter, linking an identity).
admin-nobody-called = Nobody is called "{ $name }".

# The audit log (templates/admin_audit.html). Actions, objects and details are data.
admin-audit-title = Audit log
admin-audit-filter-actor = Who (username, system or anonymous)
admin-audit-filter-action = Action (or its start, such as signin)
admin-audit-filter-object = Object (such as project:3)
admin-audit-filter-from = From (day)
admin-audit-filter-until = Until (day)
admin-audit-show = Show
admin-audit-verify = Verify the whole chain
admin-audit-verified = The chain verifies: { $entries } entries, the newest hash { $hash }.
admin-audit-broken = The chain does not verify: { $reason }
admin-audit-col-when = When
admin-audit-col-who = Who
admin-audit-col-action = Action
admin-audit-col-object = Object
admin-audit-col-outcome = Outcome
admin-audit-col-details = Details
# An entry's outcome (audit::Outcome::as_str).
admin-audit-outcome = { $outcome ->
    [success] success
    [denied] denied
   *[other] { $outcome }
}
admin-audit-none = No entry matches.
admin-audit-older = Older entries

# Identities from institutions' sign-in services (templates/admin_identities.html).
admin-identities-title = Identities
admin-identities-heading = Identities from institutions' sign-in services
admin-identities-hint = A new identity gets no access until you link it to a person. Check who it is with the institution
    before you link it: the email and name below are what the institution's service said, and are never used to link on their own.
admin-identities-col-service = Service
admin-identities-col-subject = Subject
admin-identities-col-given = Name and email given
admin-identities-col-state = State
admin-identities-col-person = Person
admin-identities-col-last = Last sign-in
admin-identities-col-action = Action
# An identity's state (oidc::store::State::as_str).
admin-identity-state = { $state ->
    [pending] pending
    [linked] linked
    [blocked] blocked
   *[other] { $state }
}
admin-identities-username = Username
admin-identities-link = Link
admin-identities-unlink = Unlink
admin-identities-block = Block
admin-identities-none = No one has signed in through an institution's service yet.

# Adding a person (templates/admin_new_person.html).
admin-new-person-title = Add a person
admin-new-person-username = Username
admin-new-person-name = Name
admin-new-person-roles = Platform roles
admin-new-person-create = Create account
admin-new-person-hint = A temporary password is shown once. The person sets up an authenticator at first sign-in.

# The list of people (templates/admin_people.html).
admin-people-title = People
admin-people-add = Add a person
admin-people-col-username = Username
admin-people-col-name = Name
admin-people-col-roles = Roles
admin-people-col-authenticator = Authenticator
admin-people-col-accreditation = Accreditation
admin-people-mfa-enrolled = enrolled
admin-people-mfa-pending = at next sign-in

# One person (templates/admin_person.html).
admin-person-mfa-enrolled = Authenticator: enrolled.
admin-person-mfa-pending = Authenticator: set up at next sign-in.
# Before and after the accreditation's state (valid until a day, or why not).
admin-person-accreditation = Accreditation:
admin-person-accreditation-end = .
admin-person-email = Email
admin-person-email-label = Notifications are also sent to (empty: in-app only)
admin-person-save = Save
admin-person-roles = Platform roles
admin-person-roles-save = Save roles
admin-person-training = Training
admin-person-training-course = Course
admin-person-training-completed = Completed
admin-person-training-expires = Expires
admin-person-training-none = None recorded.
admin-person-training-completed-on = Completed on
admin-person-training-expires-on = Expires on
admin-person-training-record = Record training
admin-person-declaration = Researcher declaration
admin-person-declaration-signed = Version { $version }, signed { $date }
admin-person-declaration-none = Not signed.
admin-person-declaration-version = Version
admin-person-declaration-signed-on = Signed on
admin-person-declaration-record = Record declaration
admin-person-declaration-future = a declaration cannot be signed in the future
admin-person-credentials = Credentials
admin-person-reset-password = Reset password
admin-person-reset-mfa = Reset authenticator
admin-person-reset-hint = Either reset ends all of this person's sessions.

# A temporary password, shown once (templates/admin_secret.html). The heading is one of the
# first two, chosen by the handler.
admin-secret-created = Account created
admin-secret-reset = Password reset
# The sentence around the username (shown in bold between the two parts).
admin-secret-give-before = Give
admin-secret-give-after = this temporary password by a separate channel. It is shown only once.
admin-secret-continue = Continue to { $username }
