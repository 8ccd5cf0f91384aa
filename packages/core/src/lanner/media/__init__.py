"""Media handling: turning request bodies into objects and objects into response bodies.

``Handlers`` maps media types to handlers; every ``RequestOptions``/``ResponseOptions`` owns one.
The built-in handlers cover JSON (orjson by default), MessagePack (optional ``msgpack``
package), URL-encoded forms and streaming multipart forms; ``*WS`` handlers serialize WebSocket
payloads. See docs/media.md.
"""

from __future__ import annotations

from lanner.media.base import (
    BaseHandler,
    BinaryBaseHandlerWS,
    MissingDependencyHandler,
    TextBaseHandlerWS,
)
from lanner.media.handlers import Handlers
from lanner.media.json import JSONHandler, JSONHandlerWS
from lanner.media.limits import DEFAULT_MAX_BODY_SIZE, max_body_size
from lanner.media.msgpack import MessagePackHandler, MessagePackHandlerWS
from lanner.media.multipart import MultipartFormHandler
from lanner.media.urlencoded import URLEncodedFormHandler

__all__ = [
    'DEFAULT_MAX_BODY_SIZE',
    'BaseHandler',
    'BinaryBaseHandlerWS',
    'Handlers',
    'JSONHandler',
    'JSONHandlerWS',
    'MessagePackHandler',
    'MessagePackHandlerWS',
    'MissingDependencyHandler',
    'MultipartFormHandler',
    'TextBaseHandlerWS',
    'URLEncodedFormHandler',
    'max_body_size',
]
