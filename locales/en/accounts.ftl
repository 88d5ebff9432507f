# Signing in, authenticators, passwords.

signin-title = Sign in
signin-with = Sign in with { $provider }
signin-or-local = Or with an account of this platform:
signin-username = Username
signin-password = Password
signin-code-next = After your password you will be asked for the code from your authenticator app.

# Shared by the home page and the administrators' pages: platform roles (PlatformRole::as_str),
# lists, and accreditation (valid until a day, or why not).
accounts-role = { $role ->
    [administrator] Administrator
    [custodian] Data custodian
    [board_member] Ethics board member
    [researcher] Researcher
   *[other] { $role }
}
accounts-list-separator = {", "}
accounts-valid-until = valid until { $until }
accounts-lapse = { $why ->
    [no_training] no completed training is recorded
    [expired] training expired on { $on }
    [not_yet_completed] training is recorded as completed in the future
    [no_declaration] the researcher declaration has not been signed
   *[other] { $why }
}

# Sign-in refusals written by the handlers (sign-in form and error pages).
accounts-wrong-credentials = The username or password is wrong.
accounts-local-off = Sign in through your institution: local accounts are off here.
accounts-locked = Too many failed attempts. Sign-in for this account is locked for a while.
accounts-locked-minutes = Too many failed attempts. Sign-in for this account is locked for { $minutes } minute(s).
accounts-locked-more-minutes = Too many failed attempts. Sign-in for this account is locked for { $minutes } more minute(s).

# The one-time code page (templates/code.html).
code-title = One-time code
code-label = Code from your authenticator app
code-submit = Sign in
code-replayed = That code was already used. Wait for the next code and try again.
code-wrong = That code is not right. Enter the 6-digit code your authenticator shows now.

# Setting up an authenticator at first sign-in (templates/enrol.html).
enrol-title = Set up your authenticator
enrol-intro = Every account here uses two factors. Scan this code with an authenticator app
    (or type the key), then enter the 6-digit code it shows.
enrol-qr = QR code of your authenticator key
enrol-key = Key:
enrol-submit = Confirm and sign in
enrol-expired = Enrolment expired. Sign in again.

# Choosing one's own password (templates/password.html).
password-title = Choose a password
password-set-by-admin = Your password was set by an administrator. Choose your own to continue.
password-current = Current password
password-new = New password (at least 12 characters)
password-again = New password again
password-save = Save password
password-differ = the two new passwords differ
password-same = choose a password different from the current one
password-current-wrong = the current password is wrong
