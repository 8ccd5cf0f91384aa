"""Query-string access for requests: ``params`` and the ``get_param*`` family.

A mixin of :class:`lanner.Request` (and so of :class:`lanner.asgi.Request`); it relies only on
``query_string`` and ``options`` of the request, so it is shared verbatim by both flavours.

Invariants:

* ``params`` is parsed on first access (never for requests that do not look at it) and cached;
  later option changes do not re-parse it.
* Every conversion failure is a 400 ``HTTPInvalidParam`` whose description follows Falcon's
  wording; only programmer errors (an unsupported ``delimiter``, no media handler) raise
  ``ValueError``.
* ``default`` is returned unconverted when a parameter is absent, and ``store`` is written only
  on success.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
import io
from typing import TYPE_CHECKING, Any, TypeVar

from lanner._request.memo import memoized
from lanner.constants import FALSE_STRINGS, MEDIA_JSON, TRUE_STRINGS
from lanner.errors import HTTPBadRequest, HTTPInvalidParam, HTTPMissingParam, MediaNotFoundError
from lanner.request_helpers import UNSET as _UNSET
from lanner.util.uri import decode, parse_query_string

if TYPE_CHECKING:
    from lanner.request import RequestOptions

__all__ = ('QueryParamsMixin',)

_T = TypeVar('_T')

_LIST_DELIMITERS = {
    ',': ',',
    '|': '|',
    ' ': ' ',
    'pipeDelimited': '|',
    'spaceDelimited': ' ',
}


class QueryParamsMixin:
    """``params``, ``has_param`` and the ``get_param*`` helpers."""

    __slots__ = ()

    query_string: str
    options: RequestOptions

    # ------------------------------------------------------------------------------------------

    @memoized
    def params(self) -> dict[str, Any]:
        """Query parameters: name -> value, or a list of values when repeated."""
        qs = self.query_string
        if not qs:
            return {}
        options = self.options
        return parse_query_string(
            qs, keep_blank=options.keep_blank_qs_values, csv=options.auto_parse_qs_csv
        )

    def has_param(self, name: str) -> bool:
        """Whether the query string has parameter ``name``."""
        return name in self.params

    def get_param(
        self,
        name: str,
        required: bool = False,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter's raw value (the last one if repeated).

        Args:
            name: Parameter name (case-sensitive).
            required: Raise ``HTTPMissingParam`` (400) when absent.
            store: A dict that receives ``store[name] = value`` when the parameter is found.
            default: Returned when the parameter is absent and not required.
            allow_multiple: ``False`` refuses a parameter with more than one value (repeated,
                or comma-separated when ``auto_parse_qs_csv`` is on) with ``HTTPInvalidParam``
                instead of picking one of them.
        """
        value = self.params.get(name)
        # PERF: params hold str or list only; an exact type check beats isinstance.
        if type(value) is list:
            if len(value) > 1 and not allow_multiple:
                raise HTTPInvalidParam('It may not have more than one value.', name)
            # A list can be empty: a value of only commas with auto_parse_qs_csv on. That is
            # no value at all, rather than an IndexError (a 500).
            value = value[-1] if value else None
        if value is not None:
            if store is not None:
                store[name] = value
            return value
        if required:
            raise HTTPMissingParam(name)
        return default

    def _convert_param(
        self,
        name: str,
        convert: Callable[[str], _T],
        message: str,
        required: bool,
        store: dict[str, Any] | None,
        default: Any,
        allow_multiple: bool = True,
    ) -> Any:
        value = self.get_param(name, required=required, allow_multiple=allow_multiple)
        if value is None:
            return default
        try:
            result = convert(value)
        except (ValueError, TypeError, OverflowError):
            raise HTTPInvalidParam(message, name) from None
        if store is not None:
            store[name] = result
        return result

    def _bounded_param(
        self,
        name: str,
        convert: Callable[[str], Any],
        message: str,
        required: bool,
        min_value: Any,
        max_value: Any,
        store: dict[str, Any] | None,
        default: Any,
        allow_multiple: bool = True,
    ) -> Any:
        """Convert, then check the inclusive bounds; stored only once both succeed."""
        value = self._convert_param(name, convert, message, required, None, _UNSET, allow_multiple)
        if value is _UNSET:
            return default
        self._check_bounds(name, value, min_value, max_value)
        if store is not None:
            store[name] = value
        return value

    def _check_bounds(self, name: str, value: Any, min_value: Any, max_value: Any) -> None:
        if min_value is not None and value < min_value:
            raise HTTPInvalidParam(f'The value must be at least {min_value}', name)
        if max_value is not None and value > max_value:
            raise HTTPInvalidParam(f'The value may not exceed {max_value}', name)

    def get_param_as_int(
        self,
        name: str,
        required: bool = False,
        min_value: int | None = None,
        max_value: int | None = None,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter as an int, optionally bounded (inclusive)."""
        return self._bounded_param(
            name, _to_int, 'The value must be an integer.', required, min_value, max_value,
            store, default, allow_multiple,
        )  # fmt: skip

    def get_param_as_float(
        self,
        name: str,
        required: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter as a float (``nan``/``inf`` accepted), optionally bounded."""
        return self._bounded_param(
            name, float, 'The value must be a float.', required, min_value, max_value,
            store, default, allow_multiple,
        )  # fmt: skip

    def get_param_as_uuid(
        self,
        name: str,
        required: bool = False,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter as a :class:`uuid.UUID` (hyphens optional, any case)."""
        # Imported here: uuid is a comparatively slow import that most apps never need.
        from uuid import UUID

        return self._convert_param(
            name, UUID, 'The value must be a UUID string.', required, store, default,
            allow_multiple,
        )  # fmt: skip

    def get_param_as_bool(
        self,
        name: str,
        required: bool = False,
        store: dict[str, Any] | None = None,
        blank_as_true: bool = True,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter as a bool.

        ``true True t yes y 1 on`` are True, ``false False f no n 0 off`` are False, and an empty
        value is ``blank_as_true``; anything else is a 400.
        """
        value = self.get_param(name, required=required, allow_multiple=allow_multiple)
        if value is None:
            return default
        if value in TRUE_STRINGS:
            result = True
        elif value in FALSE_STRINGS:
            result = False
        elif not value:
            result = blank_as_true
        else:
            raise HTTPInvalidParam('The value of the parameter must be "true" or "false".', name)
        if store is not None:
            store[name] = result
        return result

    def get_param_as_list(
        self,
        name: str,
        transform: Callable[[str], Any] | None = None,
        required: bool = False,
        store: dict[str, Any] | None = None,
        default: Any = None,
        delimiter: str | None = None,
    ) -> Any:
        """Return a query parameter as a list (a single value is wrapped).

        Args:
            name: Parameter name.
            transform: Applied to each item; a ``ValueError`` from it becomes a 400.
            required: Raise ``HTTPMissingParam`` when absent.
            store: Receives the list when found.
            default: Returned when absent and not required.
            delimiter: Split a single (non-repeated) value on ``','``, ``'|'``, ``' '``,
                ``'pipeDelimited'`` or ``'spaceDelimited'``. Other values raise ValueError.
        """
        sep: str | None = None
        if delimiter is not None:
            sep = _LIST_DELIMITERS.get(delimiter)
            if sep is None:
                raise ValueError(
                    f'Unsupported delimiter {delimiter!r} for get_param_as_list(); use one of '
                    f'{", ".join(repr(d) for d in _LIST_DELIMITERS)}.'
                )
        raw = self.params.get(name)
        if raw is None:
            if required:
                raise HTTPMissingParam(name)
            return default
        if type(raw) is list:
            items = list(raw)
        elif sep is not None:
            items = raw.split(sep)
        else:
            items = [raw]
        if transform is not None:
            try:
                items = [transform(item) for item in items]
            except ValueError:
                raise HTTPInvalidParam('The value is not formatted correctly.', name) from None
        if store is not None:
            store[name] = items
        return items

    def get_param_as_datetime(
        self,
        name: str,
        format_string: str = '%Y-%m-%dT%H:%M:%S%z',
        required: bool = False,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter parsed with ``datetime.strptime(value, format_string)``."""
        return self._convert_param(
            name,
            lambda value: datetime.strptime(value, format_string),
            'The date value does not match the required format.',
            required,
            store,
            default,
            allow_multiple,
        )

    def get_param_as_date(
        self,
        name: str,
        format_string: str = '%Y-%m-%d',
        required: bool = False,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter as a :class:`datetime.date` (see ``get_param_as_datetime``)."""

        def convert(value: str) -> date:
            return datetime.strptime(value, format_string).date()

        return self._convert_param(
            name,
            convert,
            'The date value does not match the required format.',
            required,
            store,
            default,
            allow_multiple,
        )

    def _media_handler(self, media_type: str, default: str) -> Any:
        """The request handler for ``media_type`` (ValueError when none is registered)."""
        handler, _, _ = self.options.media_handlers._resolve(
            media_type, default, raise_not_found=False
        )
        if handler is None:
            raise ValueError(
                f'No media handler is configured for {media_type!r}. Please ensure the media '
                'type is registered in RequestOptions.media_handlers.'
            )
        return handler

    def _deserialize_param(
        self, name: str, text: str, media_type: str, handler: Any, store: dict[str, Any] | None
    ) -> Any:
        # The handler's own deserialize() (not its whole-body fast path), as in Falcon: query
        # parameters are small, and a handler patched or subclassed after registration is honoured.
        data = text.encode('utf-8')
        try:
            result = handler.deserialize(io.BytesIO(data), media_type, len(data))
        except HTTPBadRequest:
            raise HTTPInvalidParam(
                f'It could not be deserialized as {media_type!r}.', name
            ) from None
        if store is not None:
            store[name] = result
        return result

    def get_param_as_media(
        self,
        name: str,
        media_type: str | None = None,
        required: bool = False,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Deserialise one query parameter with a request media handler.

        Args:
            name: Parameter name.
            media_type: Handler to use (default ``options.default_media_type``); ValueError when
                the parameter is present and no handler is registered for it.
            required: Raise ``HTTPMissingParam`` when absent.
            store: Receives the result when found.
            default: Returned when absent and not required.
            allow_multiple: ``False`` refuses a repeated parameter (see :meth:`get_param`).
        """
        value = self.get_param(name, required=required, allow_multiple=allow_multiple)
        if value is None:
            return default
        default_type = self.options.default_media_type
        media_type = media_type or default_type
        handler = self._media_handler(media_type, default_type)
        return self._deserialize_param(name, value, media_type, handler, store)

    def get_param_as_json(
        self,
        name: str,
        required: bool = False,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Deserialise one query parameter as JSON (400 ``HTTPInvalidParam`` if malformed).

        Uses the registered JSON request handler, or a stock :class:`~lanner.media.JSONHandler`
        when none is registered.
        """
        value = self.get_param(name, required=required, allow_multiple=allow_multiple)
        if value is None:
            return default
        handler, _, _ = self.options.media_handlers._resolve(
            MEDIA_JSON, MEDIA_JSON, raise_not_found=False
        )
        if handler is None:
            from lanner.media.json import JSONHandler

            handler = JSONHandler()
        return self._deserialize_param(name, value, MEDIA_JSON, handler, store)

    def get_param_as_dict(
        self,
        name: str,
        required: bool = False,
        deep_object: bool = False,
        delimiter: str | None = None,
        store: dict[str, Any] | None = None,
        default: Any = None,
        allow_multiple: bool = True,
    ) -> Any:
        """Return a query parameter as a dict.

        The pair form reads a list ``k1,v1,k2,v2`` (repeated keys, CSV splitting or
        ``delimiter``). With ``deep_object=True`` the ``name[key]=value`` parameters are
        collected instead (first value of a repeated key) and ``delimiter`` is ignored; there,
        ``allow_multiple=False`` refuses a key with more than one value. The pair form always
        reads several values, so it ignores ``allow_multiple``.
        """
        if deep_object:
            prefix = name + '['
            result: dict[str, Any] = {}
            for key, value in self.params.items():
                # ``name[]`` counts too (the empty key), as in Falcon.
                if key.startswith(prefix) and key.endswith(']'):
                    if type(value) is list:
                        if len(value) > 1 and not allow_multiple:
                            raise HTTPInvalidParam(
                                f'The "{key}" key may not have multiple values.', name
                            )
                        if not value:
                            # Only commas with auto_parse_qs_csv on: no value at all.
                            continue
                        value = value[0]
                    result[key[len(prefix) : -1]] = value
            if not result:
                if required:
                    raise HTTPMissingParam(name)
                return default
        else:
            items = self.get_param_as_list(name, required=required, delimiter=delimiter or None)
            if items is None:
                return default
            if len(items) % 2:
                raise HTTPInvalidParam('The number of list elements must be even.', name)
            result = dict(zip(items[::2], items[1::2], strict=True))
        if store is not None:
            store[name] = result
        return result

    def get_query_string_as_media(
        self, media_type: str | None = None, default_when_empty: Any = _UNSET
    ) -> Any:
        """Deserialise the whole (percent-decoded) query string with a media handler.

        ``+`` is not turned into a space. Not cached.

        Raises:
            ValueError: No handler for ``media_type`` (default ``options.default_media_type``).
            MediaNotFoundError: Empty query string and no ``default_when_empty``.
            MediaMalformedError: The query string could not be parsed.
        """
        default_type = self.options.default_media_type
        media_type = media_type or default_type
        handler = self._media_handler(media_type, default_type)
        data = decode(self.query_string, unquote_plus=False).encode('utf-8')
        try:
            return handler.deserialize(io.BytesIO(data), media_type, len(data))
        except MediaNotFoundError:
            if default_when_empty is not _UNSET:
                return default_when_empty
            raise


def _to_int(value: str) -> int:
    # Strict: [+-]?[0-9]+ in ASCII. int() alone also takes surrounding whitespace, underscores
    # ('1_000') and non-ASCII digits, none of which a client means as an integer parameter.
    digits = value[1:] if value[:1] in ('-', '+') else value
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError(value)
    return int(value)
