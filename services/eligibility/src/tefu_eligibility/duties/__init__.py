"""Liaison duties in force for a region (``GET /v1/duties``) and the lunar festivals' dates (``GET /v1/festivals``)."""
