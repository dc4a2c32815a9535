"""账户: people's accounts at the issuer, for the admins of a region."""
