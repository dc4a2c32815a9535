"""Auditors' view of the payments access log: ``GET /v1/access-log``."""
