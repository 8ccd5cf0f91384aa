"""General utilities (``falcon.util``): dates, URIs, structures, sync/async adapters, ...

Every name is loaded on first access (PEP 562): ``import lanner.util`` imports nothing else, so
in particular it never imports :mod:`asyncio` (only touching a sync/async adapter does), and
core modules can import ``lanner.util.<submodule>`` without import cycles.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_NAMES_BY_MODULE: dict[str, tuple[str, ...]] = {
    'lanner.util.deprecation': (
        'AttributeRemovedError',
        'DeprecatedWarning',
        'deprecated',
        'deprecated_args',
    ),
    'lanner.util.mediatypes': ('parse_header',),
    'lanner.util.misc': (
        'code_to_http_status',
        'dt_to_http',
        'get_argnames',
        'get_bound_method',
        'http_date_to_dt',
        'http_now',
        'http_status_to_code',
        'is_python_func',
        'secure_filename',
        'to_query_str',
    ),
    'lanner.util.reader': ('BufferedReader',),
    'lanner.util.structures': ('CaseInsensitiveDict', 'Context', 'ETag'),
    'lanner.util.sync': (
        'async_to_sync',
        'create_task',
        'get_running_loop',
        'runs_sync',
        'sync_to_async',
        'wrap_sync_to_async',
        'wrap_sync_to_async_unsafe',
    ),
    'lanner.util.time': ('TimezoneGMT',),
}

_SUBMODULES = frozenset(
    ['deprecation', 'mediatypes', 'misc', 'reader', 'structures', 'sync', 'time', 'uri']
)

_LAZY: dict[str, str] = {
    name: module for module, names in _NAMES_BY_MODULE.items() for name in names
}

__all__ = (
    'AttributeRemovedError',
    'BufferedReader',
    'CaseInsensitiveDict',
    'Context',
    'DeprecatedWarning',
    'ETag',
    'TimezoneGMT',
    'async_to_sync',
    'code_to_http_status',
    'create_task',
    'deprecated',
    'deprecated_args',
    'dt_to_http',
    'get_argnames',
    'get_bound_method',
    'get_running_loop',
    'http_date_to_dt',
    'http_now',
    'http_status_to_code',
    'is_python_func',
    'parse_header',
    'runs_sync',
    'secure_filename',
    'sync_to_async',
    'to_query_str',
    'wrap_sync_to_async',
    'wrap_sync_to_async_unsafe',
)


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f'{__name__}.{name}')
    else:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    # PERF: cache as a module attribute so later lookups skip this function.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from lanner.util.deprecation import (
        AttributeRemovedError,
        DeprecatedWarning,
        deprecated,
        deprecated_args,
    )
    from lanner.util.mediatypes import parse_header
    from lanner.util.misc import (
        code_to_http_status,
        dt_to_http,
        get_argnames,
        get_bound_method,
        http_date_to_dt,
        http_now,
        http_status_to_code,
        is_python_func,
        secure_filename,
        to_query_str,
    )
    from lanner.util.reader import BufferedReader
    from lanner.util.structures import CaseInsensitiveDict, Context, ETag
    from lanner.util.sync import (
        async_to_sync,
        create_task,
        get_running_loop,
        runs_sync,
        sync_to_async,
        wrap_sync_to_async,
        wrap_sync_to_async_unsafe,
    )
    from lanner.util.time import TimezoneGMT
