"""Loading an app from an import string such as ``"pkg.module:app"`` or ``"pkg.module:make()"``,
and telling an ASGI app from a WSGI one."""

from __future__ import annotations

from collections.abc import Callable
import importlib
import inspect
from typing import Any

__all__ = ('is_asgi_app', 'load_app')


def load_app(spec: str) -> Any:
    """Import ``module:attribute`` and return the attribute; ``module:factory()`` calls it.

    Raises:
        ValueError: The string is not of the form ``module:attribute``.
        ImportError: The module cannot be imported.
        AttributeError: The module has no such attribute.
        TypeError: The result is not callable (not a WSGI/ASGI app).
    """
    module_name, sep, attribute = spec.partition(':')
    call = attribute.endswith('()')
    if call:
        attribute = attribute[:-2]
    if not sep or not module_name or not attribute:
        raise ValueError(
            f'expected "package.module:app" or "package.module:factory()", got {spec!r}'
        )
    module = importlib.import_module(module_name)
    obj: Any = module
    for part in attribute.split('.'):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f'module {module_name!r} has no attribute {attribute!r}') from None
    if call:
        obj = obj()
    if not callable(obj):
        raise TypeError(f'{spec!r} is {obj!r}, which is not a WSGI or ASGI app')
    return obj


def is_asgi_app(app: Callable[..., Any]) -> bool:
    """An app is ASGI when its callable takes exactly three positional arguments."""
    if not callable(app):
        raise TypeError(f'The app must be a WSGI or ASGI callable, not {app!r}.')
    try:
        signature = inspect.signature(app)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if positional and positional[0].name in ('self', 'cls'):
        positional = positional[1:]
    return len(positional) == 3
