"""Spreadsheets uploaded through the console to the registry's imports API."""
