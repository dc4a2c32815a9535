"""Who read which family's personal data, when, for which institution, and through which endpoint."""
