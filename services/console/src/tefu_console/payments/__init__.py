"""发放: preparing batches, what was skipped and why, submission, approval (maker-checker)."""
