"""Review tasks: what a bank\x27s return tells the register, for a clerk to settle."""
