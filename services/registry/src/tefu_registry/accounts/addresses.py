"""The client address of a request, as the security log and the lock-out by address see it.

Behind a reverse proxy every request comes from the proxy; only a proxy named in the registry
setting ``trusted_proxies`` is believed about the address it forwards (``X-Forwarded-For``),
so nobody can pick the address their failures are counted against.
"""

from __future__ import annotations

from fastapi import Request


def client_address(request: Request) -> str:
    return address_of(request.client.host if request.client else "unknown", request.headers.get("x-forwarded-for", ""),
                      frozenset(getattr(request.app.state, "trusted_proxies", ())))


def address_of(peer: str, forwarded_for: str, trusted: frozenset[str]) -> str:
    if peer in trusted:
        hops = [part.strip() for part in forwarded_for.split(",") if part.strip()]
        # The nearest address that is not one of our proxies is the client's.
        for hop in reversed(hops):
            if hop not in trusted:
                return hop[:64]
    return peer[:64]
