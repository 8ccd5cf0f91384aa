"""Media types, HTTP method lists and other constants shared across lanner."""

from __future__ import annotations

from enum import Enum, auto
import os
import sys

PYPY = sys.implementation.name == 'pypy'
PYTHON_VERSION = tuple(sys.version_info[:3])
IS_64_BITS = sys.maxsize > 2**32
ASGI_SUPPORTED = True
FALCON_SUPPORTED = True

HTTP_METHODS = [
    'CONNECT',
    'DELETE',
    'GET',
    'HEAD',
    'OPTIONS',
    'PATCH',
    'POST',
    'PUT',
    'TRACE',
]

WEBDAV_METHODS = [
    'CHECKIN',
    'CHECKOUT',
    'COPY',
    'LOCK',
    'MKCOL',
    'MOVE',
    'PROPFIND',
    'PROPPATCH',
    'REPORT',
    'UNCHECKIN',
    'UNLOCK',
    'UPDATE',
    'VERSION-CONTROL',
]

HTTP_WG_DRAFT_METHODS = ['QUERY']

# Read once at import, as Falcon does, so deployments can add verbs without code changes.
_custom_methods_env = os.environ.get('FALCON_CUSTOM_HTTP_METHODS', '')
FALCON_CUSTOM_HTTP_METHODS = [
    m.strip().upper() for m in _custom_methods_env.split(',') if m.strip()
]

# WEBSOCKET is a pseudo-method: routing uses it for on_websocket, but a plain HTTP request
# that claims it is rejected with 400. ``_META_METHODS`` is Falcon's name for the same list.
META_METHODS = ['WEBSOCKET']
_META_METHODS = META_METHODS

# A mutable list on purpose: apps may append custom verbs before adding routes.
COMBINED_METHODS = (
    HTTP_METHODS
    + WEBDAV_METHODS
    + HTTP_WG_DRAFT_METHODS
    + FALCON_CUSTOM_HTTP_METHODS
    + META_METHODS
)

TRUE_STRINGS = frozenset(['true', 'True', 't', 'yes', 'y', '1', 'on'])
FALSE_STRINGS = frozenset(['false', 'False', 'f', 'no', 'n', '0', 'off'])

MEDIA_JSON = 'application/json'
DEFAULT_MEDIA_TYPE = MEDIA_JSON
MEDIA_MSGPACK = 'application/msgpack'
MEDIA_MULTIPART = 'multipart/form-data'
MEDIA_URLENCODED = 'application/x-www-form-urlencoded'
MEDIA_YAML = 'application/yaml'
MEDIA_XML = 'application/xml'
MEDIA_JS = 'text/javascript'
MEDIA_HTML = 'text/html; charset=utf-8'
MEDIA_TEXT = 'text/plain; charset=utf-8'
MEDIA_CSV = 'text/csv; charset=utf-8'
MEDIA_PARQUET = 'application/vnd.apache.parquet'
MEDIA_JPEG = 'image/jpeg'
MEDIA_PNG = 'image/png'
MEDIA_GIF = 'image/gif'
MEDIA_BMP = 'image/bmp'

# Extension -> Content-Type overlay applied on top of the mimetypes module for static routes.
# ``_DEFAULT_STATIC_MEDIA_TYPES`` (below) is Falcon's name for it.
DEFAULT_STATIC_MEDIA_TYPES = (
    ('.bmp', MEDIA_BMP),
    ('.csv', 'text/csv'),
    ('.gif', MEDIA_GIF),
    ('.htm', 'text/html'),
    ('.html', 'text/html'),
    ('.jpeg', MEDIA_JPEG),
    ('.jpg', MEDIA_JPEG),
    ('.js', MEDIA_JS),
    ('.json', MEDIA_JSON),
    ('.mjs', MEDIA_JS),
    ('.parquet', MEDIA_PARQUET),
    ('.png', MEDIA_PNG),
    ('.txt', 'text/plain'),
    ('.xml', MEDIA_XML),
    ('.yaml', MEDIA_YAML),
    ('.yml', MEDIA_YAML),
)
_DEFAULT_STATIC_MEDIA_TYPES = DEFAULT_STATIC_MEDIA_TYPES

# Default request-body limit for media parsing (RequestOptions.max_body_size); lanner-only.
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024

# Request headers that must not be folded: when repeated, the last value wins.
SINGLETON_HEADERS = frozenset(
    [
        'content-length',
        'content-type',
        'cookie',
        'expect',
        'from',
        'host',
        'max-forwards',
        'referer',
        'user-agent',
    ]
)


class WebSocketPayloadType(Enum):
    """Payload type used when sending WebSocket media: a text or a binary frame."""

    TEXT = auto()
    BINARY = auto()


__all__ = (
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
    'PYPY',
    'PYTHON_VERSION',
    'SINGLETON_HEADERS',
    'WEBDAV_METHODS',
    'WebSocketPayloadType',
)
