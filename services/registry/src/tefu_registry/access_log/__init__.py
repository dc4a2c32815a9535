"""Who read which family's personal data, when, and through which endpoint."""
