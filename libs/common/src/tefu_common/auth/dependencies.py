"""FastAPI dependencies that make a route's callers obvious from its signature.

    ClientAdmin = Annotated[Principal, Depends(require(Scope.clients_manage, roles={Role.admin}))]

    @router.get("/v1/oauth-clients")
    async def list_clients(caller: ClientAdmin, ...): ...

A missing or invalid token is 401; a valid token without the scope or role is 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from tefu_common.auth.principal import Principal
from tefu_common.auth.roles import Role, Scope
from tefu_common.errors import Forbidden, Unauthorized
from tefu_common.i18n import Text

class TokenRequirement(HTTPBearer):
    """A route's caller: a bearer token verified, with the scopes (all of them) and a role it needs.

    It is itself the OpenAPI security scheme (``HTTPBearer``, shown by /docs' Authorize button),
    so FastAPI resolves one dependency per request for authentication, not two.
    """

    def __init__(self, scopes: frozenset[Scope], roles: frozenset[Role] | None,
                 any_of: frozenset[Scope] = frozenset()) -> None:
        # auto_error=False: a missing header becomes our own 401 problem, not FastAPI's 403.
        super().__init__(auto_error=False, scheme_name="HTTPBearer",
                         description="A JWT from POST /oauth/token or `make token`.")
        self.needed = scopes
        self.allowed_roles = roles
        self.any_of = any_of  # at least one of these, beside all of ``needed``

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        authorization = request.headers.get("authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise Unauthorized(Text("需要令牌（Authorization: Bearer <token>）",
                                    "a bearer token is required (Authorization: Bearer <token>)"), code="token-missing")
        principal = await request.app.state.token_verifier.verify(credentials.strip())
        request.state.principal = principal
        if self.allowed_roles is not None and principal.role not in self.allowed_roles:
            allowed = ", ".join(sorted(r.value for r in self.allowed_roles))
            raise Forbidden(Text(f"角色 {principal.role.value} 不能调用此接口；可以调用的角色：{allowed}",
                                 f"role {principal.role.value} may not call this; allowed roles: {allowed}"),
                            code="role-not-allowed")
        missing = self.needed - principal.scopes
        if missing:
            lacking = ", ".join(sorted(s.value for s in missing))
            raise Forbidden(Text(f"令牌缺少所需的权限范围：{lacking}", f"the token lacks the scope(s) this needs: {lacking}"),
                            code="scope-missing", required_scopes=sorted(s.value for s in self.needed))
        if self.any_of and not self.any_of & principal.scopes:
            wanted = " / ".join(sorted(s.value for s in self.any_of))
            raise Forbidden(Text(f"令牌缺少所需的权限范围（其一即可）：{wanted}", f"the token needs one of the scopes: {wanted}"),
                            code="scope-missing", required_scopes=sorted(s.value for s in self.any_of))
        return principal


def require(*scopes: Scope, roles: Iterable[Role] | None = None, any_of: Iterable[Scope] = ()) -> TokenRequirement:
    """A dependency that authenticates the caller and checks scopes (all of ``scopes``, and one of
    ``any_of`` when given) and role."""
    return TokenRequirement(frozenset(scopes), frozenset(roles) if roles else None, frozenset(any_of))


Authenticated = Annotated[Principal, Depends(require())]
