"""Testing tools for lanner apps (``import lanner.testing``; Falcon's ``falcon.testing`` API).

* ``simulate_get(app, '/path')`` & co., and ``TestClient``: synchronous simulated requests to
  WSGI and ASGI apps.
* ``ASGIConductor``: async tests, streamed responses and WebSockets (``simulate_ws``).
* Builders (``create_environ``, ``create_scope``, ``create_req`` ...), ASGI event emitters and
  collectors, ``StartResponseMock``, ``SimpleTestResource`` and ``TestCase``.
* A pytest plugin (``lanner_app``, ``lanner_client``, ``lanner_conductor``,
  ``lanner_live_server`` fixtures), loaded automatically; disable it with ``-p no:lanner``.
"""

from __future__ import annotations

from lanner.testing._version import __version__
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

__all__ = (
    'ASGIConductor',
    'ASGILifespanEventEmitter',
    'ASGIRequestEventEmitter',
    'ASGIResponseEventCollector',
    'ASGIWebSocketSimulator',
    'Cookie',
    'DEFAULT_HOST',
    'DEFAULT_UA',
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
