"""Disbursement files for agent banks: rendering, hashing, signing, pulling."""
