# The home page (templates/home.html). Roles and accreditation come from accounts.ftl.

home-title = Home
home-welcome = Welcome, { $name }
home-roles = Roles:
home-roles-none = none yet
home-notifications = Notifications
home-accreditation = Your accreditation
home-accredited = Accredited: { accounts-valid-until }.
home-not-accredited = Not accredited: { accounts-lapse }. An administrator records training and declarations.
home-training = Training
home-training-course = Course
home-training-completed = Completed
home-training-expires = Expires
home-training-none = None recorded.
home-declaration = Declaration: version { $version }, signed { $date }.
home-declaration-none = Declaration: not signed.
home-my-projects = Your projects
home-my-projects-none = You are not a member of any project.
home-all-projects = All projects
home-all-projects-none = No projects yet.
home-col-project = Project
home-col-status = Status
home-col-dates = Dates
home-col-role = Your role
# A project's status (projects::domain::Status::as_str).
home-status = { $status ->
    [draft] draft
    [approved] approved
    [suspended] suspended
    [closed] closed
   *[other] { $status }
}
home-dates = { $from } to { $until }
# A role in a project (projects::domain::ProjectRole::as_str).
home-project-role = { $role ->
    [principal_investigator] Principal investigator
    [analyst] Analyst
    [observer] Observer
   *[other] { $role }
}
home-membership-ended = membership ended
home-administration = Administration
home-administration-people = People, roles and accreditation
