"""FastAPI dependencies that make a route's callers obvious from its signature.

    ClientAdmin = Annotated[Principal, Depends(require(Scope.clients_manage, roles={Role.admin}))]

    @router.get("/v1/oauth-clients")
    async def list_clients(caller: ClientAdmin, ...): ...

A missing or invalid token is 401; a valid token without the scope or role is 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tefu_common.auth.principal import Principal
from tefu_common.auth.roles import Role, Scope
from tefu_common.errors import Forbidden, Unauthorized

# auto_error=False: a missing header becomes our own 401 problem, not FastAPI's 403.
bearer_scheme = HTTPBearer(auto_error=False, description="A JWT from POST /oauth/token or `make token`.")


def require(*scopes: Scope, roles: Iterable[Role] | None = None) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and checks scopes (all of them) and role."""
    needed = frozenset(scopes)
    allowed_roles = frozenset(roles) if roles else None

    async def authenticate(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    ) -> Principal:
        if credentials is None or not credentials.credentials:
            raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        principal = await request.app.state.token_verifier.verify(credentials.credentials)
        request.state.principal = principal
        if allowed_roles is not None and principal.role not in allowed_roles:
            raise Forbidden(
                f"role {principal.role.value} may not call this; allowed roles: "
                + ", ".join(sorted(r.value for r in allowed_roles)),
            )
        missing = needed - principal.scopes
        if missing:
            raise Forbidden(
                "the token lacks the scope(s) this needs: " + ", ".join(sorted(s.value for s in missing)),
                required_scopes=sorted(s.value for s in needed),
            )
        return principal

    return authenticate


Authenticated = Annotated[Principal, Depends(require())]
