"""``HTTPError``: the base class of every error that maps to an HTTP error response.

Raise it (or one of the classes in :mod:`lanner.errors`) from a responder, hook, middleware or
error handler; the App sets the status, applies :attr:`HTTPError.headers` and lets the error
serializer render :meth:`HTTPError.to_dict` as JSON, XML or another negotiated media type.
"""

from __future__ import annotations

from collections.abc import MutableMapping
import http
import json
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload
import warnings

from lanner.util.deprecation import DeprecatedWarning
from lanner.util.misc import code_to_http_status, http_status_to_code
from lanner.util.uri import encode as _encode_uri

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ('HTTPError', 'apply_to_response')

_MappingT = TypeVar('_MappingT', bound=MutableMapping[str, Any])

_DEFAULT_LINK_TEXT = 'Documentation related to this error'

# Renders exactly like json.dumps(obj, ensure_ascii=False): default separators, UTF-8 text.
_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False)
# The string encoder that encoder uses for keys and values (ensure_ascii=False).
_encode_json_str = json.encoder.encode_basestring


class _SyncSerializer(Protocol):
    def serialize(self, media: object, content_type: str) -> bytes: ...


class _HeaderTarget(Protocol):
    status: Any

    def set_headers(self, headers: Any) -> None: ...


class HTTPError(Exception):
    """An error that is turned into an HTTP error response.

    Args:
        status: The HTTP status: a status line (``'404 Not Found'``, or ``lanner.HTTP_404``),
            an int, bytes or an ``http.HTTPStatus``.

    Keyword Args:
        title: Short summary; defaults to the status line (``'404 Not Found'``).
        description: Longer human-readable explanation.
        headers: Extra response headers, a dict or a list of ``(name, value)`` pairs. They are
            applied with ``resp.set_headers`` and overwrite same-named headers.
        href: URL of documentation about the error; produces :attr:`link`.
        href_text: Text for the documentation link (default
            ``'Documentation related to this error'``).
        code: Application-specific error code included in the body.

    Attributes:
        status: The status exactly as given.
        title: The title (never ``None``).
        description: The description, or ``None``.
        headers: The extra headers, or ``None``.
        link: ``None``, or ``{'text': ..., 'href': ..., 'rel': 'help'}`` when ``href`` was given.
        code: The application error code, or ``None``.
    """

    __slots__ = ('code', 'description', 'headers', 'link', 'status', 'title')

    status: str | int | bytes | http.HTTPStatus
    title: str
    description: str | None
    headers: dict[str, str] | list[tuple[str, str]] | None
    link: dict[str, str] | None
    code: int | None

    def __init__(
        self,
        status: str | int | bytes | http.HTTPStatus,
        *,
        title: str | None = None,
        description: str | None = None,
        headers: dict[str, str] | list[tuple[str, str]] | None = None,
        href: str | None = None,
        href_text: str | None = None,
        code: int | None = None,
    ) -> None:
        self.status = status
        if title is None:
            # PERF: the predefined subclasses pass status lines, which are their own default
            # title; skip the (LRU-cached) normalisation call for them.
            if isinstance(status, str) and ' ' in status:
                title = status
            else:
                title = code_to_http_status(status)
        self.title = title
        self.description = description
        self.headers = headers
        self.code = code
        if href:
            self.link = {
                'text': href_text or _DEFAULT_LINK_TEXT,
                'href': _encode_uri(href),
                'rel': 'help',
            }
        else:
            self.link = None

    def __repr__(self) -> str:
        return f'<{type(self).__name__}: {self.status!s}>'

    __str__ = __repr__

    @property
    def status_code(self) -> int:
        """The status as an int."""
        return http_status_to_code(self.status)

    @property
    def href(self) -> str | None:
        """The (URI-encoded) documentation URL from :attr:`link`, or ``None``."""
        link = self.link
        return link['href'] if link is not None else None

    @property
    def href_text(self) -> str | None:
        """The documentation link text from :attr:`link`, or ``None``."""
        link = self.link
        return link['text'] if link is not None else None

    @overload
    def to_dict(self) -> dict[str, Any]: ...

    @overload
    def to_dict(self, obj_type: Callable[[], _MappingT]) -> _MappingT: ...

    def to_dict(self, obj_type: Callable[[], MutableMapping[str, Any]] = dict) -> Any:
        """Return the error as a new mapping for serialisation.

        ``title`` is always present; ``description``, ``code`` and ``link`` only when set.
        Override this in a subclass to add fields; the default error serializer uses it for
        JSON and any other negotiated media type.

        Args:
            obj_type: Mapping class to build (e.g. ``collections.OrderedDict``).

        Returns:
            The mapping.
        """
        obj = obj_type()
        obj['title'] = self.title
        if self.description is not None:
            obj['description'] = self.description
        if self.code is not None:
            obj['code'] = self.code
        if self.link is not None:
            obj['link'] = self.link
        return obj

    def to_json(self, handler: _SyncSerializer | None = None) -> bytes:
        """Serialise :meth:`to_dict` as JSON.

        Args:
            handler: A media handler whose synchronous ``serialize(obj, content_type)`` is used.
                By default the standard library renders it with ``ensure_ascii=False`` and
                default separators: ``b'{"title": "404 Not Found"}'``.

        Returns:
            The JSON document as UTF-8 bytes.
        """
        if handler is None:
            title = self.title
            description = self.description
            if (
                type(self).to_dict is HTTPError.to_dict
                and self.code is None
                and self.link is None
                and type(title) is str
                and (description is None or type(description) is str)
            ):
                # PERF: the usual error body ({"title": ..., "description": ...}) is written out
                # with the stdlib's own string encoder: byte for byte what json.dumps(obj,
                # ensure_ascii=False) returns, without building an encoder per call.
                if description is None:
                    text = f'{{"title": {_encode_json_str(title)}}}'
                else:
                    text = (
                        f'{{"title": {_encode_json_str(title)}, '
                        f'"description": {_encode_json_str(description)}}}'
                    )
                return text.encode('utf-8')
            # PERF: a prebuilt encoder; json.dumps() builds a new one per call for these options.
            return _JSON_ENCODER.encode(self.to_dict()).encode('utf-8')
        obj = self.to_dict()
        return handler.serialize(obj, 'application/json')

    def to_xml(self) -> bytes:
        """Serialise the error as an XML document (deprecated).

        Deprecated:
            Register an XML media handler, or a custom error serializer, instead.

        Returns:
            ``<?xml version="1.0" encoding="UTF-8"?><error><title>...</title>...</error>``
            as UTF-8 bytes.
        """
        warnings.warn(
            'The internal error serialization to XML is deprecated. HTTPError.to_xml() will be '
            'removed: serialize the output of to_dict() to XML instead (a custom error '
            'serializer or an XML media handler).',
            DeprecatedWarning,
            stacklevel=2,
        )
        return self._to_xml()

    def _to_xml(self) -> bytes:
        # Used by the default error serializer without the deprecation warning.
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?><error><title>',
            _xml_escape(self.title),
            '</title>',
        ]
        if self.description is not None:
            parts += ('<description>', _xml_escape(self.description), '</description>')
        if self.code is not None:
            parts += ('<code>', _xml_escape(str(self.code)), '</code>')
        link = self.link
        if link is not None:
            parts += (
                '<link><text>',
                _xml_escape(link['text']),
                '</text><href>',
                _xml_escape(link['href']),
                '</href><rel>',
                _xml_escape(link['rel']),
                '</rel></link>',
            )
        parts.append('</error>')
        return ''.join(parts).encode('utf-8')


def _xml_escape(text: str) -> str:
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


def apply_to_response(error: HTTPError, resp: _HeaderTarget) -> None:
    """Set the response status and headers from ``error`` (the body is the serializer's job).

    This is the first half of the App's default ``HTTPError`` handling: ``resp.status`` becomes
    ``error.status`` and ``error.headers`` (if any) are applied with ``resp.set_headers``.

    Args:
        error: The error being rendered.
        resp: The response to update.
    """
    resp.status = error.status
    headers = error.headers
    if headers:
        resp.set_headers(headers)
