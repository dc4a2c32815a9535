"""Evaluation of one family on a date, with the reasons."""
