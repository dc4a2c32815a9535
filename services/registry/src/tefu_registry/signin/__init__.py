"""The sign-in page people see: the issuer's ``/oauth/authorize``, its template and stylesheet."""
