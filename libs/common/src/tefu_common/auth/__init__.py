"""Authentication and authorisation: bearer JWTs, roles, scopes, region and institution."""

from tefu_common.auth.dependencies import Authenticated, TokenRequirement, require
from tefu_common.auth.keys import SigningKey, load_jwks, public_jwk, write_key_files
from tefu_common.auth.principal import NATIONAL_REGION, Institution, Principal
from tefu_common.auth.revocation import NoRevocations, RemoteRevocationList, RevocationCheck, RevocationSnapshot
from tefu_common.auth.roles import INSTITUTION_KIND, ROLE_SCOPES, Role, Scope, scopes_for
from tefu_common.auth.tokens import ALLOWED_ALGORITHMS, SERVICE_AUDIENCES, KeySet, TokenIssuer, TokenVerifier

__all__ = [
    "ALLOWED_ALGORITHMS",
    "INSTITUTION_KIND",
    "NATIONAL_REGION",
    "ROLE_SCOPES",
    "SERVICE_AUDIENCES",
    "Authenticated",
    "Institution",
    "KeySet",
    "NoRevocations",
    "Principal",
    "RemoteRevocationList",
    "RevocationCheck",
    "RevocationSnapshot",
    "Role",
    "Scope",
    "SigningKey",
    "TokenIssuer",
    "TokenRequirement",
    "TokenVerifier",
    "load_jwks",
    "public_jwk",
    "require",
    "scopes_for",
    "write_key_files",
]
