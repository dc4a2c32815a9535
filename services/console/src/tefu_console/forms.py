"""Forms whose inputs are named as the API names its fields, so a field error lands in place.

An input named ``body.mother.id_number`` fills ``{"mother": {"id_number": …}}`` of the request body,
``body.events.0.kind`` the first event; empty inputs are left out (the service then applies its own
default or names the missing field), and a group left wholly empty disappears.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

PREFIX = "body."


def values_of(form: FormData) -> dict[str, str]:
    """The text of each input, to fill the form again after a refusal."""
    return {key: value for key, value in form.items() if isinstance(value, str) and key != "csrf_token"}


def _set(target: dict[str, Any], path: list[str], value: Any) -> None:
    node: Any = target
    for i, part in enumerate(path):
        last = i == len(path) - 1
        following = path[i + 1] if not last else None
        key: Any = int(part) if isinstance(node, list) else part
        if isinstance(node, list):
            while len(node) <= key:
                node.append({})
        if last:
            node[key] = value
            return
        if isinstance(node, list):
            child = node[key]
            if not child:
                node[key] = child = [] if following is not None and following.isdigit() else {}
        else:
            child = node.setdefault(key, [] if following is not None and following.isdigit() else {})
        node = child


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", {}, [])}
    if isinstance(value, list):
        return [v for v in (_prune(v) for v in value) if v not in (None, "", {}, [])]
    return value


def body_of(form: FormData, *, lists: frozenset[str] = frozenset(), booleans: frozenset[str] = frozenset(),
            integers: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The request body the inputs named ``body.…`` describe.

    ``lists``: inputs that repeat (checkboxes) and make a list; ``booleans``: checkboxes sent as
    ``true`` (absent: false); ``integers``: inputs the service takes as numbers.
    """
    body: dict[str, Any] = {}
    for name in sorted({key for key in form.keys() if key.startswith(PREFIX)}):
        path = name[len(PREFIX):].split(".")
        if name in lists:
            value: Any = [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]
        else:
            raw = form.get(name)
            value = raw.strip() if isinstance(raw, str) else None
            if name in integers and value and value.lstrip("-").isdigit():
                value = int(value)
        if name in booleans:  # a checkbox: ticked is true; unticked is left to the service's default (false)
            value = True if value == "true" else None
        _set(body, path, value)
    return _prune(body)
