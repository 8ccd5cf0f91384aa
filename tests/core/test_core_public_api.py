"""The public surface: ``lanner.__all__`` is pinned, and Falcon's module map resolves.

``import lanner as falcon`` must find every module path and name a Falcon app uses (spec,
Appendix B). Names from member distributions are checked only when the member is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys

import pytest

import lanner

ERRORS = {
    'CompatibilityError', 'DelimiterError', 'HeaderNotSupported', 'HTTPBadGateway',
    'HTTPBadRequest', 'HTTPConflict', 'HTTPContentTooLarge', 'HTTPFailedDependency',
    'HTTPForbidden', 'HTTPGatewayTimeout', 'HTTPGone', 'HTTPInsufficientStorage',
    'HTTPInternalServerError', 'HTTPInvalidHeader', 'HTTPInvalidParam', 'HTTPLengthRequired',
    'HTTPLocked', 'HTTPLoopDetected', 'HTTPMethodNotAllowed', 'HTTPMissingHeader',
    'HTTPMissingParam', 'HTTPNetworkAuthenticationRequired', 'HTTPNotAcceptable', 'HTTPNotFound',
    'HTTPNotImplemented', 'HTTPPayloadTooLarge', 'HTTPPreconditionFailed',
    'HTTPPreconditionRequired', 'HTTPRangeNotSatisfiable', 'HTTPRequestHeaderFieldsTooLarge',
    'HTTPRouteNotFound', 'HTTPServiceUnavailable', 'HTTPTooManyRequests', 'HTTPUnauthorized',
    'HTTPUnavailableForLegalReasons', 'HTTPUnprocessableEntity', 'HTTPUnsupportedMediaType',
    'HTTPUriTooLong', 'HTTPVersionNotSupported', 'InvalidMediaRange', 'InvalidMediaType',
    'MediaMalformedError', 'MediaNotFoundError', 'MediaValidationError', 'MultipartParseError',
    'OperationNotAllowed', 'PayloadTypeError', 'UnsupportedError', 'UnsupportedScopeError',
    'WebSocketDisconnected', 'WebSocketHandlerNotFound', 'WebSocketPathNotFound',
    'WebSocketServerError',
    # lanner addition: a value refused because it is unsafe on the wire (answered with 400).
    'UnsafeValueError',
}  # fmt: skip
CLASSES_AND_FUNCTIONS = {
    'App', 'API', 'Request', 'RequestOptions', 'Response', 'ResponseOptions', 'Forwarded',
    'BoundedStream', 'before', 'after', 'CORSMiddleware', 'HTTPError', 'HTTPStatus',
    'HTTPFound', 'HTTPMovedPermanently', 'HTTPPermanentRedirect', 'HTTPSeeOther',
    'HTTPTemporaryRedirect', 'code_to_http_status', 'dt_to_http', 'get_argnames',
    'get_bound_method', 'http_date_to_dt', 'http_now', 'http_status_to_code', 'is_python_func',
    'secure_filename', 'to_query_str', 'CaseInsensitiveDict', 'Context', 'ETag', 'TimezoneGMT',
    'async_to_sync', 'create_task', 'get_running_loop', 'runs_sync', 'sync_to_async',
    'wrap_sync_to_async', 'wrap_sync_to_async_unsafe', 'deprecated', 'BufferedReader',
    'parse_header',
}  # fmt: skip
CONSTANTS = {
    'ASGI_SUPPORTED', 'COMBINED_METHODS', 'DEFAULT_MEDIA_TYPE', 'FALCON_SUPPORTED',
    'HTTP_METHODS', 'IS_64_BITS', 'MEDIA_BMP', 'MEDIA_CSV', 'MEDIA_GIF', 'MEDIA_HTML',
    'MEDIA_JPEG', 'MEDIA_JS', 'MEDIA_JSON', 'MEDIA_MSGPACK', 'MEDIA_MULTIPART', 'MEDIA_PARQUET',
    'MEDIA_PNG', 'MEDIA_TEXT', 'MEDIA_URLENCODED', 'MEDIA_XML', 'MEDIA_YAML', 'PYTHON_VERSION',
    'SINGLETON_HEADERS', 'WEBDAV_METHODS', 'WebSocketPayloadType',
}  # fmt: skip


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def test_all_is_pinned() -> None:
    from lanner import status_codes

    expected = ERRORS | CLASSES_AND_FUNCTIONS | CONSTANTS | set(status_codes.__all__)
    assert set(lanner.__all__) == expected
    assert len(lanner.__all__) == len(set(lanner.__all__))  # no duplicates
    # Deprecated 413 spellings stay in status_codes only, as in Falcon.
    assert 'HTTP_PAYLOAD_TOO_LARGE' not in lanner.__all__
    assert lanner.status_codes.HTTP_PAYLOAD_TOO_LARGE == lanner.HTTP_413


def test_every_public_name_resolves_and_star_import_works() -> None:
    for name in lanner.__all__:
        assert getattr(lanner, name) is not None, name
    namespace: dict[str, object] = {}
    exec('from lanner import *', namespace)
    assert namespace['App'] is lanner.App
    assert namespace['HTTP_200'] == '200 OK'


def test_unknown_attribute_raises_attribute_error() -> None:
    with pytest.raises(AttributeError, match='no attribute'):
        lanner.NoSuchThing  # noqa: B018


@pytest.mark.parametrize(
    'name',
    ['uri', 'media', 'errors', 'status_codes', 'constants', 'hooks', 'middleware', 'request',
     'response', 'http_error', 'http_status', 'redirects', 'stream', 'forwarded', 'typing',
     'app_helpers', 'responders', 'request_helpers', 'response_helpers', 'util', 'version',
     'misc', 'structures', 'time', 'sync', 'reader', 'mediatypes', 'http_cookies'],
)  # fmt: skip
def test_submodule_attributes(name: str) -> None:
    assert getattr(lanner, name) is not None


def test_asgi_all_is_pinned() -> None:
    import lanner.asgi

    assert set(lanner.asgi.__all__) == {
        'App', 'BoundedStream', 'Request', 'Response', 'SSEvent', 'WebSocket', 'WebSocketOptions',
    }  # fmt: skip
    assert issubclass(lanner.asgi.App, lanner.App)
    assert issubclass(lanner.asgi.Request, lanner.Request)


MODULE_MAP = {
    'lanner.asgi.app': ['App'],
    'lanner.asgi.request': ['Request'],
    'lanner.asgi.response': ['Response'],
    'lanner.asgi.stream': ['BoundedStream'],
    'lanner.asgi.ws': ['WebSocketOptions'],
    'lanner.asgi.multipart': [],
    'lanner.asgi.reader': [],
    'lanner.asgi.structures': [],
    'lanner.asgi_spec': ['EventType', 'ScopeType', 'WSCloseCode'],
    'lanner.media': [
        'BaseHandler', 'TextBaseHandlerWS', 'BinaryBaseHandlerWS', 'Handlers',
        'MissingDependencyHandler', 'JSONHandler', 'JSONHandlerWS', 'MessagePackHandler',
        'MessagePackHandlerWS', 'MultipartFormHandler', 'URLEncodedFormHandler',
    ],
    'lanner.media.multipart': [
        'MultipartForm', 'BodyPart', 'MultipartParseOptions', 'MultipartParseError',
    ],
    'lanner.media.validators.jsonschema': ['validate'],
    'lanner.util': ['misc', 'structures', 'sync', 'time', 'uri', 'mediatypes', 'reader',
                    'deprecation', 'DeprecatedWarning', 'deprecated_args'],
    'lanner.util.mediatypes': ['parse_header', 'best_match'],
    'lanner.uri': ['encode', 'encode_value', 'encode_check_escaped', 'encode_value_check_escaped',
                   'decode', 'parse_query_string', 'parse_host', 'unquote_string'],
    'lanner.inspect': ['inspect_app', 'inspect_routes', 'inspect_middleware',
                       'inspect_static_routes', 'inspect_sinks', 'inspect_error_handlers',
                       'inspect_compiled_router', 'register_router', 'StringVisitor'],
    'lanner.cmd.inspect_app': ['main', 'make_parser', 'load_app', 'route_main'],
    'lanner.app_helpers': ['prepare_middleware', 'prepare_middleware_ws',
                           'default_serialize_error'],
    'lanner.responders': ['path_not_found', 'bad_request', 'create_method_not_allowed',
                          'create_default_options'],
}  # fmt: skip


@pytest.mark.parametrize('module', sorted(MODULE_MAP))
def test_falcon_module_map(module: str) -> None:
    imported = importlib.import_module(module)
    for name in MODULE_MAP[module]:
        assert hasattr(imported, name), f'{module}.{name}'


MEMBER_MAP = {
    'lanner.routing': ['CompiledRouter', 'DefaultRouter', 'CompiledRouterOptions', 'StaticRoute',
                       'StaticRouteAsync', 'map_http_methods', 'set_default_responders',
                       'BaseConverter', 'IntConverter', 'FloatConverter', 'UUIDConverter',
                       'DateTimeConverter', 'PathConverter', 'RegexConverter'],
    'lanner.routing.compiled': ['UnacceptableRouteError', 'ConverterDict', 'CompiledRouterNode'],
    'lanner.routing.converters': ['BUILTIN'],
    'lanner.routing.util': ['SuffixedMethodNotFoundError'],
    'lanner.testing': ['simulate_request', 'simulate_get', 'TestClient', 'Result',
                       'ASGIConductor', 'create_environ', 'create_scope', 'httpnow'],
}  # fmt: skip


@pytest.mark.parametrize('module', sorted(MEMBER_MAP))
def test_member_module_map(module: str) -> None:
    member = '.'.join(module.split('.')[:2])
    if not _installed(member):
        pytest.skip(f'{member} is not installed here')
    imported = importlib.import_module(module)
    for name in MEMBER_MAP[module]:
        assert hasattr(imported, name), f'{module}.{name}'


def test_missing_member_error_names_the_install_line() -> None:
    # Simulate an environment without lanner-websocket by hiding it from the import system.
    code = (
        'import sys, lanner\n'
        "lanner.__path__[:] = [p for p in lanner.__path__ if 'websocket' not in p]\n"
        "sys.modules.pop('lanner.websocket', None)\n"
        'import importlib.abc\n'
        'class Block(importlib.abc.MetaPathFinder):\n'
        '    def find_spec(self, name, path=None, target=None):\n'
        "        if name == 'lanner.websocket': raise ModuleNotFoundError(name=name)\n"
        'sys.meta_path.insert(0, Block())\n'
        'import lanner.asgi\n'
        'try:\n'
        '    lanner.asgi.WebSocket\n'
        'except ModuleNotFoundError as exc:\n'
        '    print(type(exc).__name__, exc)\n'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith('MissingDistributionError')
    assert 'lanner-websocket' in out.stdout
