"""Falcon's module path for ``SSEvent`` (``falcon.asgi.structures``).

``SSEvent`` lives in the lanner-sse distribution (:mod:`lanner.sse`); this module loads it on
first access, with an install hint if lanner-sse is missing. Core never needs it to stream: it
accepts any object with ``serialize(handler=None) -> bytes``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lanner.sse import SSEvent

__all__ = ('SSEvent',)


def __getattr__(name: str) -> Any:
    if name == 'SSEvent':
        from lanner._members import import_member

        value = import_member('sse', 'Server-Sent Events (SSEvent)').SSEvent
        # PERF: cached as a module attribute, so later lookups skip this function.
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
