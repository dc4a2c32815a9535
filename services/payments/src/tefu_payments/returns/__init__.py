"""Return files from agent banks: what was paid, what failed and why."""
