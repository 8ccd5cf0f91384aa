"""The ``application/x-www-form-urlencoded`` media handler."""

from __future__ import annotations

from typing import IO, Any
from urllib.parse import urlencode

from lanner.errors import MediaMalformedError
from lanner.media.base import AsyncReadableStream, BaseHandler

__all__ = ['DEFAULT_MAX_FORM_FIELDS', 'URLEncodedFormHandler']

_LABEL = 'URL-encoded'

#: Default cap on the number of ``&``-separated fields in one body (Django uses the same
#: figure). Parsing cost and the size of the resulting dict grow with the field count, so an
#: attacker could otherwise send a few MiB of ``&&&&`` to burn CPU.
DEFAULT_MAX_FORM_FIELDS = 1000


class URLEncodedFormHandler(BaseHandler):
    """URL-encoded form handler.

    Deserialises the body like a query string into a dict (repeated keys become lists); an
    empty body yields ``{}``. Serialises with ``urllib.parse.urlencode(media, doseq=True)``.

    Args:
        keep_blank: Keep fields with empty values (``a=`` -> ``{'a': ''}``). Default True.
        csv: Split values on literal commas into lists. Default False.
        max_fields: Maximum number of ``&``-separated fields; more is answered with a 400
            ``MediaMalformedError``. ``None`` or ``0`` disables the check.
    """

    def __init__(
        self,
        keep_blank: bool = True,
        csv: bool = False,
        *,
        max_fields: int | None = DEFAULT_MAX_FORM_FIELDS,
    ) -> None:
        if max_fields is not None and (not isinstance(max_fields, int) or max_fields < 0):
            raise ValueError(f'max_fields must be a non-negative int or None, got {max_fields!r}.')
        self._keep_blank = keep_blank
        self._csv = csv
        self._max_fields = max_fields or None
        if type(self) is URLEncodedFormHandler:
            self._serialize_sync = self._serialize_bytes
            self._deserialize_sync = self._deserialize_bytes

    def _serialize_bytes(self, media: Any) -> bytes:
        return urlencode(media, doseq=True).encode('ascii')

    def _deserialize_bytes(self, data: bytes) -> dict[str, str | list[str]]:
        # Local import: lanner.util.uri pulls in the query-string machinery only when needed.
        from lanner.util.uri import parse_query_string

        if not data:
            return {}
        try:
            body = data.decode('ascii')
        except UnicodeDecodeError as err:
            raise MediaMalformedError(_LABEL) from err
        limit = self._max_fields
        if limit is not None and body.count('&') >= limit:
            raise MediaMalformedError(_LABEL) from ValueError(
                f'the form has more than {limit} fields; send fewer fields or raise '
                'URLEncodedFormHandler(max_fields=...)'
            )
        result: dict[str, str | list[str]] = parse_query_string(
            body, keep_blank=self._keep_blank, csv=self._csv
        )
        return result

    def serialize(self, media: object, content_type: str | None = None) -> bytes:
        """Encode a mapping (or sequence of pairs) as a URL-encoded form."""
        return self._serialize_bytes(media)

    async def serialize_async(self, media: object, content_type: str | None = None) -> bytes:
        """Encode a mapping (or sequence of pairs) as a URL-encoded form (ASGI)."""
        return self._serialize_bytes(media)

    def deserialize(
        self,
        stream: IO[bytes],
        content_type: str | None = None,
        content_length: int | None = None,
    ) -> object:
        """Parse the whole body as a URL-encoded form.

        Raises:
            MediaMalformedError: The body is not ASCII or has too many fields.
        """
        return self._deserialize_bytes(stream.read())

    async def deserialize_async(
        self,
        stream: AsyncReadableStream,
        content_type: str | None = None,
        content_length: int | None = None,
    ) -> object:
        """Parse the whole async body as a URL-encoded form (ASGI)."""
        return self._deserialize_bytes(await stream.read())
