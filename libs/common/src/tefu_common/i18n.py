"""The language people read: Chinese by default, English when the request asks for it.

Clerks, liaisons and inspectors read Chinese; an integrator abroad or a vendor's log reader may
prefer English. Every message a person can see is therefore a :class:`Text` holding both, and is
rendered in the language of the request in flight (``Accept-Language``; Chinese unless English is
preferred). Machine-readable codes never change with the language.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal

Language = Literal["zh", "en"]
DEFAULT_LANGUAGE: Language = "zh"

_language: ContextVar[Language] = ContextVar("tefu_language", default=DEFAULT_LANGUAGE)


def negotiate(accept_language: str | None) -> Language:
    """The language an ``Accept-Language`` header prefers among those we speak (Chinese if none).

    ``en``, ``en-US;q=0.9`` … choose English when English ranks above any Chinese tag; ``*`` and
    languages we do not speak are passed over.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    best: tuple[float, Language] | None = None
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in ("zh", "en"):
            continue
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality <= 0:
            continue
        # Equal qualities keep the order the client listed them in.
        ranked = (quality - position * 1e-6, primary)
        if best is None or ranked[0] > best[0]:
            best = ranked  # type: ignore[assignment]
    return best[1] if best else DEFAULT_LANGUAGE


def current_language() -> Language:
    return _language.get()


def set_language(language: Language) -> Any:
    """Set the language of the request in flight; returns the token to reset it with."""
    return _language.set(language)


def reset_language(token: Any) -> None:
    _language.reset(token)


@dataclass(frozen=True)
class Text:
    """One message in Chinese and English; ``str()`` gives the language of the request in flight."""

    zh: str
    en: str

    def render(self, language: Language | None = None) -> str:
        return self.en if (language or current_language()) == "en" else self.zh

    def __str__(self) -> str:
        return self.render()

    def format(self, **values: Any) -> Text:
        return Text(self.zh.format(**values), self.en.format(**values))


def text(zh: str, en: str) -> Text:
    return Text(zh, en)
