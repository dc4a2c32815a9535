"""The policy catalogue as the API shows it."""
