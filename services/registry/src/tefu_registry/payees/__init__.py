"""Payees: the names, ID numbers and bank accounts the payments service pays into."""
