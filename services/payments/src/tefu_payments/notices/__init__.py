"""Notices to the register: what a bank's return says the register must act on."""
