"""Failed client authentications, limited per client id and per address.

After ``per_client`` failures of one client id, or ``per_address`` failures from one address, within
``window``, the token endpoint answers 429 with Retry-After for the rest of the window, the right
secret included: guessing a secret takes as long as the window allows, not as fast as the network
allows. Counted in this process (each replica counts its own: behind N replicas a guesser gets N
times as many tries, still a handful a minute). Secrets are checked off the event loop, and an
unknown client id costs the same scrypt as a known one, so the answer's time tells nothing.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from tefu_common.errors import TooManyRequests
from tefu_common.i18n import Text


@dataclass
class FailureLimiter:
    per_client: int = 10
    per_address: int = 30
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return deque()
        return times

    def check(self, client_id: str, address: str | None) -> None:
        """429 if this client id or address has failed too often lately."""
        now = time.monotonic()
        for key, limit in ((f"client:{client_id}", self.per_client), (f"address:{address}", self.per_address)):
            times = self._recent(key, now)
            if len(times) >= limit:
                wait = max(1, int(self.window - (now - times[0])) + 1)
                raise TooManyRequests(Text(f"认证失败次数过多，请 {wait} 秒后再试", f"too many failed attempts; retry in "
                                           f"{wait} s"), code="too-many-failures",
                                      headers={"Retry-After": str(wait)})

    def failed(self, client_id: str, address: str | None) -> None:
        now = time.monotonic()
        for key in (f"client:{client_id}", f"address:{address}"):
            self._failures[key].append(now)
