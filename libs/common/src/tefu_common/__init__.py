"""Infrastructure shared by every Tefu service.

Only infrastructure lives here (settings, database, auth, errors, logging, HTTP client and the
value types every service speaks: resident ID numbers, region codes, money, masking, field
encryption). Business rules and another service's tables never do.
"""
