"""Tefu payments service."""
