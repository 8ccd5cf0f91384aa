"""What a simulated request returns: ``Result``, ``StreamedResult`` and ``Cookie``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
import datetime
import json as json_module
from typing import TYPE_CHECKING, Any

from lanner.testing._headers import ParsedSetCookie, get_encoding_from_headers, parse_set_cookie
from lanner.util.misc import code_to_http_status, http_date_to_dt
from lanner.util.structures import CaseInsensitiveDict

if TYPE_CHECKING:
    from http.cookies import Morsel

__all__ = ('Cookie', 'Result', 'ResultBodyStream', 'StreamedResult')


class Cookie:
    """A cookie the app set, as seen by the client.

    Args:
        morsel: The parsed ``Set-Cookie`` header (an ``http.cookies.Morsel`` works too).
    """

    __slots__ = (
        '_domain',
        '_expires',
        '_httponly',
        '_max_age',
        '_name',
        '_partitioned',
        '_path',
        '_samesite',
        '_secure',
        '_value',
    )

    def __init__(self, morsel: Morsel[str] | ParsedSetCookie) -> None:
        self._name: str = morsel.key
        self._value: str = morsel.value

        def attr(name: str) -> Any:
            try:
                return morsel[name] or None
            except KeyError:  # an older Morsel that does not know the attribute
                return None

        self._expires: str | None = attr('expires')
        self._path: str | None = attr('path')
        self._domain: str | None = attr('domain')
        self._max_age: str | None = attr('max-age')
        self._secure: Any = attr('secure')
        self._httponly: Any = attr('httponly')
        self._samesite: str | None = attr('samesite')
        self._partitioned: Any = attr('partitioned')

    @property
    def name(self) -> str:
        """The cookie's name."""
        return self._name

    @property
    def value(self) -> str:
        """The cookie's value (unquoted)."""
        return self._value

    @property
    def expires(self) -> datetime.datetime | None:
        """``Expires`` as an aware UTC datetime, or ``None`` when absent."""
        if not self._expires:
            return None
        try:
            return http_date_to_dt(str(self._expires), obs_date=True)
        except ValueError as exc:
            raise ValueError(
                f'Cookie {self._name!r} has an unparseable Expires attribute: {exc}'
            ) from None

    @property
    def path(self) -> str | None:
        """``Path``, or ``None`` when absent."""
        return self._path

    @property
    def domain(self) -> str | None:
        """``Domain``, or ``None`` when absent."""
        return self._domain

    @property
    def max_age(self) -> int | None:
        """``Max-Age`` as an int, or ``None`` when absent."""
        if not self._max_age:
            return None
        try:
            return int(self._max_age)
        except ValueError:
            raise ValueError(
                f'Cookie {self._name!r} has a non-integer Max-Age: {self._max_age!r}'
            ) from None

    @property
    def secure(self) -> bool:
        """Whether the ``Secure`` flag is set."""
        return bool(self._secure)

    @property
    def http_only(self) -> bool:
        """Whether the ``HttpOnly`` flag is set."""
        return bool(self._httponly)

    @property
    def same_site(self) -> str | None:
        """``SameSite`` (such as ``'Lax'``), or ``None`` when absent."""
        return self._samesite or None

    @property
    def partitioned(self) -> bool:
        """Whether the ``Partitioned`` flag is set."""
        return bool(self._partitioned)

    def __repr__(self) -> str:
        return f'Cookie({self._name}={self._value!r})'


class _ResultBase:
    """Status, headers and cookies shared by :class:`Result` and :class:`StreamedResult`."""

    def __init__(self, status: str | int, headers: Iterable[tuple[str, str]]) -> None:
        header_list = list(headers)
        self._status = code_to_http_status(status)
        self._status_code = int(self._status[:3])
        self._headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(header_list)
        cookies: dict[str, Cookie] = {}
        for name, value in header_list:
            if name.lower() == 'set-cookie':
                parsed = parse_set_cookie(value)
                if parsed is not None:
                    cookies[parsed.key] = Cookie(parsed)
        self._cookies = cookies
        self._encoding = get_encoding_from_headers(self._headers)

    @property
    def status(self) -> str:
        """The status line, such as ``'200 OK'``."""
        return self._status

    @property
    def status_code(self) -> int:
        """The status code as an int."""
        return self._status_code

    @property
    def headers(self) -> CaseInsensitiveDict[str]:
        """Response headers (case-insensitive; for repeated names one value is kept)."""
        return self._headers

    @property
    def cookies(self) -> dict[str, Cookie]:
        """Cookies set by the response, by name."""
        return self._cookies

    @property
    def encoding(self) -> str | None:
        """The body's character encoding, from ``Content-Type`` (``None`` if unknown)."""
        return self._encoding

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header, or ``None``."""
        return self._headers.get('Content-Type')


class Result(_ResultBase):
    """The complete response to a simulated request.

    Args:
        iterable: The body chunks.
        status: The status line (or an int code).
        headers: The response headers as ``(name, value)`` pairs.
    """

    def __init__(
        self, iterable: Iterable[bytes], status: str | int, headers: Iterable[tuple[str, str]]
    ) -> None:
        super().__init__(status, headers)
        self._content = b''.join(iterable)
        self._text: str | None = None

    @property
    def content(self) -> bytes:
        """The raw body (``b''`` when empty)."""
        return self._content

    @property
    def text(self) -> str:
        """The body decoded with :attr:`encoding` (UTF-8 when unknown); ``''`` when empty."""
        if self._text is None:
            if not self._content:
                self._text = ''
            else:
                encoding = self.encoding or 'UTF-8'
                try:
                    self._text = self._content.decode(encoding)
                except LookupError:
                    raise LookupError(
                        f'The response declares an unknown charset {encoding!r} '
                        f'(Content-Type: {self.content_type}); read result.content instead.'
                    ) from None
                except UnicodeDecodeError as exc:
                    raise UnicodeDecodeError(
                        exc.encoding,
                        exc.object,
                        exc.start,
                        exc.end,
                        f'{exc.reason}; the response body is not valid {encoding} '
                        f'(Content-Type: {self.content_type}); read result.content instead',
                    ) from None
        return self._text

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when the body is empty."""
        text = self.text
        if not text:
            return None
        try:
            return json_module.loads(text)
        except json_module.JSONDecodeError as exc:
            raise json_module.JSONDecodeError(
                f'The response body is not valid JSON (Content-Type: {self.content_type}, '
                f'body starts {text[:40]!r}): {exc.msg}',
                exc.doc,
                exc.pos,
            ) from None

    def _short_content(self) -> bytes:
        content = self._content
        if len(content) > 40:
            return content[:20] + b'...' + content[-20:]
        return content

    def __repr__(self) -> str:
        parts = [self.status, self._headers.get('Content-Type', ''), str(self._short_content())]
        return 'Result<{}>'.format(' '.join(part for part in parts if part))

    def __rich__(self) -> str:
        """A coloured representation for the ``rich`` library."""
        colours = {'1': 'blue', '2': 'green', '3': 'magenta', '4': 'red', '5': 'red'}
        colour = colours.get(self.status[:1], 'cyan')  # Falcon's colour for other codes
        content_type = self._headers.get('Content-Type', '')
        return (
            f'[bold]Result[/]<[bold {colour}]{self.status}[/] '
            f'[italic yellow]{content_type}[/] [grey50]{self._short_content()!s}[/]>'
        )


class ResultBodyStream:
    """Reads a streamed response body as the app produces it.

    Args:
        chunks: The list the simulated server appends body chunks to.
    """

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        # Called with the number of bytes taken, so the producer can apply backpressure.
        self._on_read: Callable[[int], None] | None = None

    async def read(self) -> bytes:
        """Return every chunk received since the previous call (``b''`` if none yet)."""
        # Let the app run first so that a read right after an await sees fresh data.
        await asyncio.sleep(0)
        taken = len(self._chunks)
        data = b''.join(self._chunks[:taken])
        # Drop what was read: a long stream must not accumulate in memory.
        del self._chunks[:taken]
        if self._on_read is not None and data:
            self._on_read(len(data))
        return data


class StreamedResult(_ResultBase):
    """A response whose body is still being streamed (``ASGIConductor.simulate_get_stream``).

    Args:
        body_chunks: The list the simulated server appends body chunks to.
        status: The status line (or an int code).
        headers: The response headers as ``(name, value)`` pairs.
        task: The task running the app.
        req_event_emitter: The request's ``receive`` emitter (disconnected by ``finalize``).
    """

    def __init__(
        self,
        body_chunks: list[bytes],
        status: str | int,
        headers: Iterable[tuple[str, str]],
        task: asyncio.Task[Any],
        req_event_emitter: Any,
    ) -> None:
        super().__init__(status, headers)
        self._task = task
        self._stream = ResultBodyStream(body_chunks)
        self._req_event_emitter = req_event_emitter
        # Set by the driver: disconnects and waits for the app with a bounded wait.
        self._finalizer: Callable[[], Awaitable[None]] | None = None

    @property
    def stream(self) -> ResultBodyStream:
        """The body stream."""
        return self._stream

    async def finalize(self) -> None:
        """Disconnect the simulated client and wait for the app to finish."""
        if self._finalizer is not None:
            await self._finalizer()
            return
        self._req_event_emitter.disconnect()
        await self._task
