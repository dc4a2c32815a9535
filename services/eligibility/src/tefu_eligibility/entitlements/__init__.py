"""Bulk entitlements: every (person, benefit, month) due in a region, from the registry facts stream."""
