"""Loading an app from an import string such as ``"pkg.module:app"`` or ``"pkg.module:make()"``."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ('load_app',)


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
