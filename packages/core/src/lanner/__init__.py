__path__ = __import__('pkgutil').extend_path(__path__, __name__)  # must stay first

__doc__ = """lanner: a fast, reliable web framework for data-plane APIs on ASGI and WSGI.

``import lanner as falcon`` ports a Falcon 4.4 application. The public names below are loaded
lazily (PEP 562) so that ``import lanner`` stays cheap: each one is imported from its home module on
first access and then cached as a plain module attribute, so later lookups cost nothing extra.

The first statement extends ``__path__`` so that the member distributions (lanner-routing,
lanner-websocket, lanner-sse, lanner-testing), which each ship one ``lanner/<member>/`` directory,
are importable as ``lanner.<member>`` from wherever they are installed.
"""

import importlib
from typing import TYPE_CHECKING, Any

from lanner.version import __version__

# Public name -> module that defines it. tests/core/test_public_api.py pins this table.
_NAMES_BY_MODULE: dict[str, tuple[str, ...]] = {
    'lanner.app': ('App', 'API'),
    'lanner.request': ('Request', 'RequestOptions'),
    'lanner.response': ('Response', 'ResponseOptions'),
    'lanner.forwarded': ('Forwarded',),
    'lanner.stream': ('BoundedStream',),
    'lanner.hooks': ('before', 'after'),
    'lanner.middleware': ('CORSMiddleware',),
    'lanner.http_error': ('HTTPError',),
    'lanner.http_status': ('HTTPStatus',),
    'lanner.redirects': (
        'HTTPFound',
        'HTTPMovedPermanently',
        'HTTPPermanentRedirect',
        'HTTPSeeOther',
        'HTTPTemporaryRedirect',
    ),
    'lanner.errors': (
        'CompatibilityError',
        'DelimiterError',
        'HeaderNotSupported',
        'HTTPBadGateway',
        'HTTPBadRequest',
        'HTTPConflict',
        'HTTPContentTooLarge',
        'HTTPFailedDependency',
        'HTTPForbidden',
        'HTTPGatewayTimeout',
        'HTTPGone',
        'HTTPInsufficientStorage',
        'HTTPInternalServerError',
        'HTTPInvalidHeader',
        'HTTPInvalidParam',
        'HTTPLengthRequired',
        'HTTPLocked',
        'HTTPLoopDetected',
        'HTTPMethodNotAllowed',
        'HTTPMissingHeader',
        'HTTPMissingParam',
        'HTTPNetworkAuthenticationRequired',
        'HTTPNotAcceptable',
        'HTTPNotFound',
        'HTTPNotImplemented',
        'HTTPPayloadTooLarge',
        'HTTPPreconditionFailed',
        'HTTPPreconditionRequired',
        'HTTPRangeNotSatisfiable',
        'HTTPRequestHeaderFieldsTooLarge',
        'HTTPRouteNotFound',
        'HTTPServiceUnavailable',
        'HTTPTooManyRequests',
        'HTTPUnauthorized',
        'HTTPUnavailableForLegalReasons',
        'HTTPUnprocessableEntity',
        'HTTPUnsupportedMediaType',
        'HTTPUriTooLong',
        'HTTPVersionNotSupported',
        'InvalidMediaRange',
        'InvalidMediaType',
        'MediaMalformedError',
        'MediaNotFoundError',
        'MediaValidationError',
        'MultipartParseError',
        'OperationNotAllowed',
        'PayloadTypeError',
        'UnsafeValueError',
        'UnsupportedError',
        'UnsupportedScopeError',
        'WebSocketDisconnected',
        'WebSocketHandlerNotFound',
        'WebSocketPathNotFound',
        'WebSocketServerError',
    ),
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
    'lanner.util.structures': ('CaseInsensitiveDict', 'Context', 'ETag'),
    'lanner.util.time': ('TimezoneGMT',),
    'lanner.util.sync': (
        'async_to_sync',
        'create_task',
        'get_running_loop',
        'runs_sync',
        'sync_to_async',
        'wrap_sync_to_async',
        'wrap_sync_to_async_unsafe',
    ),
    'lanner.util.deprecation': ('deprecated',),
    'lanner.util.reader': ('BufferedReader',),
    'lanner.util.mediatypes': ('parse_header',),
    'lanner.constants': (
        'ASGI_SUPPORTED',
        'COMBINED_METHODS',
        'DEFAULT_MEDIA_TYPE',
        'FALCON_SUPPORTED',
        'HTTP_METHODS',
        'IS_64_BITS',
        'MEDIA_BMP',
        'MEDIA_CSV',
        'MEDIA_GIF',
        'MEDIA_HTML',
        'MEDIA_JPEG',
        'MEDIA_JS',
        'MEDIA_JSON',
        'MEDIA_MSGPACK',
        'MEDIA_MULTIPART',
        'MEDIA_PARQUET',
        'MEDIA_PNG',
        'MEDIA_TEXT',
        'MEDIA_URLENCODED',
        'MEDIA_XML',
        'MEDIA_YAML',
        'PYTHON_VERSION',
        'SINGLETON_HEADERS',
        'WEBDAV_METHODS',
        'WebSocketPayloadType',
    ),
}

# Submodules reachable as attributes of ``lanner`` (Falcon loads these on ``import falcon``).
_SUBMODULES: dict[str, str] = {
    name: f'lanner.{name}'
    for name in (
        'app',
        'app_helpers',
        'constants',
        'errors',
        'forwarded',
        'hooks',
        'http_error',
        'http_status',
        'media',
        'middleware',
        'redirects',
        'request',
        'request_helpers',
        'responders',
        'response',
        'response_helpers',
        'status_codes',
        'stream',
        'typing',
        'uri',
        'util',
        'version',
    )
}
_SUBMODULES.update(
    misc='lanner.util.misc',
    structures='lanner.util.structures',
    time='lanner.util.time',
    sync='lanner.util.sync',
    reader='lanner.util.reader',
    mediatypes='lanner.util.mediatypes',
)


def _status_code_names() -> tuple[str, ...]:
    from lanner import status_codes

    # HTTP_PAYLOAD_TOO_LARGE and HTTP_REQUEST_ENTITY_TOO_LARGE stay in status_codes only.
    return tuple(status_codes.__all__)


_LAZY: dict[str, str] = {
    name: module for module, names in _NAMES_BY_MODULE.items() for name in names
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is not None:
        value = getattr(importlib.import_module(module_name), name)
    elif name.startswith('HTTP_') and name in _status_code_names():
        value = getattr(importlib.import_module('lanner.status_codes'), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(_SUBMODULES[name])
    elif name == 'routing':
        from lanner._members import import_member

        value = import_member('routing', 'lanner.routing (the default compiled router)')
    elif name == 'http_cookies':
        from lanner.response_helpers import http_cookies as value
    else:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    # PERF: cache as a real module attribute so every later access is a plain dict lookup.
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | set(_SUBMODULES))


__all__ = tuple(_LAZY) + _status_code_names()

if TYPE_CHECKING:  # pragma: no cover - names for type checkers and IDEs
    from lanner.app import API, App
    from lanner.constants import *
    from lanner.errors import *
    from lanner.forwarded import Forwarded
    from lanner.hooks import after, before
    from lanner.http_error import HTTPError
    from lanner.http_status import HTTPStatus
    from lanner.middleware import CORSMiddleware
    from lanner.redirects import *
    from lanner.request import Request, RequestOptions
    from lanner.response import Response, ResponseOptions
    from lanner.status_codes import *
    from lanner.stream import BoundedStream
    from lanner.util.deprecation import deprecated
    from lanner.util.mediatypes import parse_header
    from lanner.util.misc import *
    from lanner.util.reader import BufferedReader
    from lanner.util.structures import CaseInsensitiveDict, Context, ETag
    from lanner.util.sync import *
    from lanner.util.time import TimezoneGMT
