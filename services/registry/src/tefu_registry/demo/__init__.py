"""Synthetic, realistic families for demonstrations, training and load tests.

Nothing here is real data: names, ID numbers, phone numbers and bank accounts are
made up (ID numbers are well formed, with real region codes and correct check
characters, so they pass validation). See :mod:`tefu_registry.demo.generator`.
"""
