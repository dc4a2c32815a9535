"""Signing in at the issuer (authorization code + PKCE) and the server-side sessions."""
