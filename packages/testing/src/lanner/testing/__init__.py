"""Testing tools for lanner apps (``import lanner.testing``; Falcon's ``falcon.testing`` API).

* ``simulate_get(app, '/path')`` & co., and ``TestClient``: synchronous simulated requests to
  WSGI and ASGI apps.
* ``ASGIConductor``: async tests, streamed responses and WebSockets (``simulate_ws``).
* Builders (``create_environ``, ``create_scope``, ``create_req`` ...), ASGI event emitters and
  collectors, ``StartResponseMock``, ``SimpleTestResource`` and ``TestCase``.
* A pytest plugin (``lanner_app``, ``lanner_client``, ``lanner_conductor``,
  ``lanner_live_server`` fixtures), loaded automatically; disable it with ``-p no:lanner``.

The names are loaded lazily (PEP 562): the pytest plugin lives in this package and is imported
by every pytest run, so importing the package itself must cost next to nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from lanner.testing._version import __version__

# Public name -> module that defines it; __all__ below must list the same names (a test
# checks), spelled out so that type checkers see the re-exports.
_NAMES_BY_MODULE: dict[str, tuple[str, ...]] = {
    'lanner.testing.client': (
        'ASGIConductor',
        'Cookie',
        'Result',
        'ResultBodyStream',
        'StreamedResult',
        'TestClient',
        'set_limits',
        'simulate_delete',
        'simulate_get',
        'simulate_head',
        'simulate_options',
        'simulate_patch',
        'simulate_post',
        'simulate_put',
        'simulate_request',
    ),
    'lanner.testing.helpers': (
        'ASGILifespanEventEmitter',
        'ASGIRequestEventEmitter',
        'ASGIResponseEventCollector',
        'ASGIWebSocketSimulator',
        'DEFAULT_HOST',
        'DEFAULT_UA',
        'closed_wsgi_iterable',
        'create_asgi_req',
        'create_environ',
        'create_req',
        'create_scope',
        'create_scope_ws',
        'get_encoding_from_headers',
        'get_unused_port',
        'httpnow',
        'rand_string',
        'redirected',
    ),
    'lanner.testing.resource': (
        'SimpleTestResource',
        'SimpleTestResourceAsync',
        'capture_responder_args',
        'capture_responder_args_async',
        'set_resp_defaults',
        'set_resp_defaults_async',
    ),
    'lanner.testing.srmock': ('StartResponseMock',),
    'lanner.testing.test_case': ('TestCase',),
}

_LAZY = {name: module for module, names in _NAMES_BY_MODULE.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        if f'{__name__}.{name}' in _NAMES_BY_MODULE:
            # ``testing.client`` & co. without importing them first, as Falcon's eager package
            # allows (importing a submodule binds it here, so this runs once).
            return importlib.import_module(f'{__name__}.{name}')
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(module), name)
    # PERF: cache as a real attribute so later lookups are plain dict hits.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = (
    'DEFAULT_HOST',
    'DEFAULT_UA',
    'ASGIConductor',
    'ASGILifespanEventEmitter',
    'ASGIRequestEventEmitter',
    'ASGIResponseEventCollector',
    'ASGIWebSocketSimulator',
    'Cookie',
    'Result',
    'ResultBodyStream',
    'SimpleTestResource',
    'SimpleTestResourceAsync',
    'StartResponseMock',
    'StreamedResult',
    'TestCase',
    'TestClient',
    '__version__',
    'capture_responder_args',
    'capture_responder_args_async',
    'closed_wsgi_iterable',
    'create_asgi_req',
    'create_environ',
    'create_req',
    'create_scope',
    'create_scope_ws',
    'get_encoding_from_headers',
    'get_unused_port',
    'httpnow',
    'rand_string',
    'redirected',
    'set_limits',
    'set_resp_defaults',
    'set_resp_defaults_async',
    'simulate_delete',
    'simulate_get',
    'simulate_head',
    'simulate_options',
    'simulate_patch',
    'simulate_post',
    'simulate_put',
    'simulate_request',
)

if TYPE_CHECKING:  # pragma: no cover - names for type checkers and IDEs
    from lanner.testing.client import (
        ASGIConductor,
        Cookie,
        Result,
        ResultBodyStream,
        StreamedResult,
        TestClient,
        set_limits,
        simulate_delete,
        simulate_get,
        simulate_head,
        simulate_options,
        simulate_patch,
        simulate_post,
        simulate_put,
        simulate_request,
    )
    from lanner.testing.helpers import (
        DEFAULT_HOST,
        DEFAULT_UA,
        ASGILifespanEventEmitter,
        ASGIRequestEventEmitter,
        ASGIResponseEventCollector,
        ASGIWebSocketSimulator,
        closed_wsgi_iterable,
        create_asgi_req,
        create_environ,
        create_req,
        create_scope,
        create_scope_ws,
        get_encoding_from_headers,
        get_unused_port,
        httpnow,
        rand_string,
        redirected,
    )
    from lanner.testing.resource import (
        SimpleTestResource,
        SimpleTestResourceAsync,
        capture_responder_args,
        capture_responder_args_async,
        set_resp_defaults,
        set_resp_defaults_async,
    )
    from lanner.testing.srmock import StartResponseMock
    from lanner.testing.test_case import TestCase
