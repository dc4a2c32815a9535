"""Tefu supervision: the figures inspectors score, gathered from the other services."""
