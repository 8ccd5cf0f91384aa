"""The ASGI response: the WSGI :class:`lanner.Response` plus async bodies, SSE and callbacks."""

from __future__ import annotations

from collections.abc import Callable
from inspect import iscoroutine, iscoroutinefunction
from typing import Any

from lanner import response as _response
from lanner._request.memo import LAZY_CONTEXT
from lanner.asgi._response_sender import NEEDS_AWAIT
from lanner.request_helpers import UNSET as _UNSET
from lanner.response import ResponseOptions
from lanner.util.structures import Context

__all__ = ('Response',)


class Response(_response.Response):
    """An HTTP response under construction in an ASGI app.

    Beyond the WSGI API: :attr:`stream` may be an async iterable (or an object with an
    ``async read(size)``), :attr:`sse` streams Server-Sent Events, and :meth:`schedule` /
    :meth:`schedule_sync` run callbacks after the response has been sent.
    """

    __slots__ = ('_stream',)

    # PERF: rarely set; class-level defaults instead of per-instance slots (see lanner.Response).
    _registered_callbacks: list[tuple[Callable[[], Any], bool]] | None = None
    _sse: Any = None

    def __init__(self, options: ResponseOptions | None = None) -> None:
        # PERF: the base initialiser is inlined: one frame instead of two, and no trip through
        # the validating ``stream`` setter for the initial None. Keep in step with
        # lanner.Response.__init__.
        self.status = '200 OK'
        self._headers = {}
        self.text = None
        self.data = None
        self._media = None
        self._media_rendered = _UNSET
        self._stream = None
        self.complete = False
        self.options = options if options is not None else ResponseOptions()
        self._context = LAZY_CONTEXT if self.context_type is Context else self.context_type()

    @property
    def stream(self) -> Any:
        """Body stream: an async iterable of bytes, an object with ``async read(size)``, or a
        sync iterable of bytes; used when text, data and media are all None."""
        return self._stream

    @stream.setter
    def stream(self, value: Any) -> None:
        # Not validated here: as in Falcon, an unusable stream is a TypeError when the response
        # is sent (see lanner.asgi._response_sender), which reaches the server.
        self._stream = value

    @property
    def sse(self) -> Any:
        """An async iterable of events (objects with ``serialize()``; None sends a ping).

        When set, it supersedes text, data, media and stream.
        """
        return self._sse

    @sse.setter
    def sse(self, value: Any) -> None:
        # Not validated here: as for stream (and in Falcon), an unusable emitter is a TypeError
        # when the response is sent (lanner._sse.asgi_pump.check_async_emitter), which reaches the
        # server.
        self._sse = value

    async def render_body(self) -> bytes | None:  # type: ignore[override]
        """Return the body bytes from text, data or media (in that order), or None.

        Raises:
            HTTPUnsupportedMediaType: ``media`` is set but no handler matches ``content_type``.
        """
        rendered = self._render_body_sync()
        if rendered is NEEDS_AWAIT:
            content_type = self._headers['content-type']
            handler = self.options.media_handlers._resolve(
                content_type, self.options.default_media_type
            )[0]
            rendered = await handler.serialize_async(self._media, content_type)
            self._media_rendered = rendered
        return rendered  # type: ignore[no-any-return]

    def _render_body_sync(self) -> Any:
        """The body as :meth:`render_body` returns it, rendered without awaiting anything.

        Returns ``NEEDS_AWAIT`` when the media handler has no synchronous fast path (its
        ``serialize_async`` must be awaited); the Content-Type default is applied either way.
        """
        text = self.text
        if text is not None:
            return text.encode() if type(text) is str else text
        data = self.data
        if data is not None:
            return data
        if self._media is None:
            return None
        rendered = self._media_rendered
        if rendered is _UNSET:
            headers = self._headers
            options = self.options
            content_type = headers.get('content-type')
            if not content_type:
                content_type = headers['content-type'] = options.default_media_type
            serialize_sync = options.media_handlers._resolve(
                content_type, options.default_media_type
            )[1]
            if serialize_sync is None:
                return NEEDS_AWAIT
            rendered = self._media_rendered = serialize_sync(self._media)
        return rendered

    def schedule(self, callback: Callable[[], Any]) -> None:
        """Run a zero-argument coroutine function as a task once the response has been sent.

        Raises:
            TypeError: ``callback`` is a coroutine object or not a coroutine function.
        """
        if iscoroutine(callback):
            callback.close()
            raise TypeError(
                'schedule() takes a coroutine function, not a coroutine object: pass '
                'resp.schedule(job) instead of resp.schedule(job()).'
            )
        if not iscoroutinefunction(callback):
            raise TypeError(
                'schedule() takes a coroutine function (async def); use schedule_sync() for a '
                f'regular function (got {callback!r}).'
            )
        callbacks = self._registered_callbacks
        if callbacks is None:
            callbacks = self._registered_callbacks = []
        callbacks.append((callback, True))

    def schedule_sync(self, callback: Callable[[], Any]) -> None:
        """Run a zero-argument callable in the default executor once the response is sent."""
        if not callable(callback):
            raise TypeError(f'schedule_sync() takes a callable, got {callback!r}.')
        callbacks = self._registered_callbacks
        if callbacks is None:
            callbacks = self._registered_callbacks = []
        callbacks.append((callback, False))

    def _asgi_headers(self, default_media_type: str | None = None) -> list[tuple[bytes, bytes]]:
        """All headers as latin-1 encoded ``(name, value)`` pairs, cookies last.

        Raises:
            ValueError: A header value cannot be encoded as latin-1.
        """
        headers = self._headers
        if default_media_type is not None and 'content-type' not in headers:
            # Stored, not only sent: as in Falcon, resp.headers shows what went out.
            headers['content-type'] = default_media_type
        try:
            # PERF: a (name, value) pair a response sent before is one dict hit in C (map over
            # the items, no Python loop, no encode and no new tuple): 12 headers rendered in
            # 1.0 us instead of 1.9 us (bench/micro). A new pair is encoded and remembered.
            items = list(map(_encoded_pair, headers.items()))
            extra = self._extra_headers
            if extra:
                items.extend((name.encode(), value.encode('latin-1')) for name, value in extra)
            if self._cookies:
                items.extend(
                    (b'set-cookie', morsel.OutputString().encode('latin-1'))
                    for morsel in self._cookies.values()
                )
        except UnicodeEncodeError:
            for name, value in self._wsgi_headers(default_media_type):
                try:
                    value.encode('latin-1')
                except UnicodeEncodeError:
                    raise ValueError(
                        f'The value of response header {name!r} ({value!r}) contains characters '
                        'outside latin-1; HTTP header values must be latin-1 (preferably ASCII). '
                        'Percent-encode the value (lanner.uri.encode_value) or use an RFC 8187 '
                        'parameter.'
                    ) from None
            raise
        return items


class _EncodedPairs(dict[tuple[str, str], tuple[bytes, bytes]]):
    """``(name, value)`` -> the pair latin-1 encoded, as it goes into the ASGI header list.

    Filled on first use. Most pairs repeat from response to response (Content-Type, security
    and cache headers, the same Content-Length); one-off values (request ids, dates) come and
    go, so the cache is emptied when it reaches a fixed size. Raises UnicodeEncodeError for a
    value outside latin-1 (nothing is stored then).
    """

    __slots__ = ()

    def __missing__(self, pair: tuple[str, str]) -> tuple[bytes, bytes]:
        name, value = pair
        encoded = (name.encode('latin-1'), value.encode('latin-1'))
        if len(self) >= _ENCODED_PAIRS_MAX:
            self.clear()
        self[pair] = encoded
        return encoded


_ENCODED_PAIRS_MAX = 2048
_encoded_pair = _EncodedPairs().__getitem__
