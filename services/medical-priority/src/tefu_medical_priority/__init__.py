"""Tefu medical priority service."""
