"""Families (households) and their members: the register itself."""
