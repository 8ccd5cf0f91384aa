"""Helpers shared by the routing tests (a plain module: tests/routing is on sys.path)."""

from __future__ import annotations

from typing import Any

from lanner.routing import CompiledRouter


class Resource:
    """A WSGI resource with a GET responder; instances are told apart by ``label``."""

    def __init__(self, label: str = '') -> None:
        self.label = label

    def on_get(self, req: Any, resp: Any, **params: Any) -> None:
        pass

    def __repr__(self) -> str:
        return f'Resource({self.label!r})'


def matched(router: CompiledRouter, path: str) -> tuple[Any, dict[str, Any]] | None:
    """``(resource label, params)`` for ``path``, or None; keeps assertions short."""
    result = router.find(path)
    if result is None:
        return None
    resource, _method_map, params, _template = result
    return getattr(resource, 'label', resource), params
