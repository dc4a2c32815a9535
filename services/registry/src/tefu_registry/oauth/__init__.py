"""OAuth2 client credentials for the whole suite: clients, tokens, revocation, public keys.

The issuer lives in the registry rather than in a fifth service: the registry is already the
system of record every other service trusts, one process fewer to run and secure, and the
private signing key exists in exactly one place. Other services only hold public keys.
"""
