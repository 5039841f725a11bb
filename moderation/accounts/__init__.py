"""Account rules with no web or database in them: the password policy, password
hashing (Argon2id), TOTP and recovery codes."""
