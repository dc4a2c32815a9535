"""Tefu eligibility service."""
