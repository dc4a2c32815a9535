"""Tefu registry service: the system of record for special families, and the token issuer."""
