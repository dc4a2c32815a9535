"""Bulk registration of families from CSV or XLSX files, as background jobs."""
