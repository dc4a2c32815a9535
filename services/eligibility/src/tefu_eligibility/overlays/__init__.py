"""Dated local values of the rule files' parameters, set by a region's admins at run time (maker-checker)."""
