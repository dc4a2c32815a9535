"""People's accounts: who may sign in to the console, with which role and region, and the
security log of every sign-in, failure, lock-out and administrator action."""
