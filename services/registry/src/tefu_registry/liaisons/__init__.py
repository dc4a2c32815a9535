"""Liaisons (双岗联系人) of each family and the log of their contacts."""
