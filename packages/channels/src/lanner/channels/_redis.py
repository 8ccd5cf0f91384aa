"""``RedisBackend``: channels shared by every process and host that uses one Redis (or Valkey).

How an event travels:

* ``publish`` runs one Lua script (atomic on the server): ``XADD`` to the channel's stream with
  ``MAXLEN ~`` (retention, the replay source), then ``PUBLISH`` of ``<id>\\n<data>`` on the
  channel's pub/sub name. Because both happen in one script, the order of pub/sub messages is
  the order of stream ids, so every process sees every channel's events in id order.
* Each publish carries a random token; the script records ``token -> id`` for two minutes and
  returns the recorded id when it sees the token again. A publish retried after a lost reply
  therefore never adds the event twice.
* One listener connection per process (``SUBSCRIBE``) receives live events and hands them to
  ``Channels.deliver``. It speaks RESP2 itself (a few dozen lines below) instead of going
  through redis-py's pub/sub object, so that no library-level automatic reconnect can hide a
  lost connection: every loss is seen here and reported to ``Channels.gap``.
* ``history`` is ``XRANGE`` from just after the given id.

Listener invariants:

* A channel is *live* once the server confirmed the latest ``SUBSCRIBE`` sent for it on the
  current connection. ``listen`` returns only then, so a replay read after it cannot miss an
  event that the live subscription would not deliver.
* The supervisor reconnects with capped exponential backoff, resubscribes every wanted channel,
  and counts a reconnect. A connection that stays silent for two ping intervals is treated as
  lost (a half-open TCP connection would otherwise stall forever).
* Pub/sub names are global to a Redis server while streams live in a database, so the pub/sub
  name includes the database number.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
import time
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from lanner.channels._backend import BackendSink, ChannelsUnavailable
from lanner.channels._ids import format_id, parse_id

__all__ = ('RedisBackend',)

_logger = logging.getLogger('lanner.channels')

_INSTALL_HINT = 'pip install "lanner-channels[redis]"'

# KEYS: stream, pub/sub name, token key. ARGV: data, maxlen.
_PUBLISH_SCRIPT = """
local seen = redis.call('GET', KEYS[3])
if seen then return seen end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'd', ARGV[1])
redis.call('SET', KEYS[3], id, 'EX', 120)
redis.call('PUBLISH', KEYS[2], id .. '\\n' .. ARGV[1])
return id
"""


class _RespError(Exception):
    """The server answered with an error, or sent something that is not RESP2."""


async def _read_value(reader: asyncio.StreamReader) -> Any:
    """Read one RESP2 value (arrays of bulk strings and integers are all pub/sub uses)."""
    line = await reader.readuntil(b'\r\n')
    kind, rest = line[:1], line[1:-2]
    if kind == b'$':
        size = int(rest)
        if size < 0:
            return None
        return (await reader.readexactly(size + 2))[:-2]
    if kind == b'*':
        count = int(rest)
        if count < 0:
            return None
        return [await _read_value(reader) for _ in range(count)]
    if kind == b':':
        return int(rest)
    if kind == b'+':
        return rest
    if kind == b'-':
        raise _RespError(rest.decode('utf-8', 'replace'))
    raise _RespError(f'unexpected reply from the server: {line[:40]!r}')


def _command(*args: bytes | str) -> bytes:
    parts = [b'*%d\r\n' % len(args)]
    for arg in args:
        raw = arg.encode('utf-8') if isinstance(arg, str) else arg
        parts.append(b'$%d\r\n%s\r\n' % (len(raw), raw))
    return b''.join(parts)


class _Endpoint:
    """Where the listener connects, parsed once from the URL."""

    __slots__ = ('db', 'host', 'password', 'path', 'port', 'tls', 'username')

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ('redis', 'rediss', 'unix', 'valkey', 'valkeys'):
            raise ValueError(
                f'{url!r} is not a Redis URL: use redis://HOST:PORT/DB, rediss:// (TLS) or '
                f'unix:///path/to/socket?db=N.'
            )
        self.tls = scheme in ('rediss', 'valkeys')
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        if scheme == 'unix':
            self.path: str | None = parts.path
            self.host = ''
            self.port = 0
            db = query.get('db', ['0'])[0]
        else:
            self.path = None
            self.host = parts.hostname or '127.0.0.1'
            self.port = parts.port or 6379
            db = parts.path.lstrip('/') or query.get('db', ['0'])[0]
        if not db.isdigit():
            raise ValueError(f'The database in {url!r} must be a number, not {db!r}.')
        self.db = int(db)

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.path is not None:
            reader, writer = await asyncio.open_unix_connection(self.path)
        else:
            context = ssl.create_default_context() if self.tls else None
            reader, writer = await asyncio.open_connection(self.host, self.port, ssl=context)
        if self.password is not None:
            auth = ['AUTH', self.password]
            if self.username:
                auth.insert(1, self.username)
            writer.write(_command(*auth))
            await writer.drain()
            await _read_value(reader)  # raises _RespError when refused
        return reader, writer


class _Session:
    """One listener connection and what the server was told on it."""

    __slots__ = ('last_read', 'reader', 'subscribed', 'writer')

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.subscribed: set[bytes] = set()  # SUBSCRIBE sent, no UNSUBSCRIBE since
        self.last_read = time.monotonic()


class RedisBackend:
    """Channels shared through Redis or Valkey: pub/sub for live events, streams for replay.

    Needs redis-py (``pip install "lanner-channels[redis]"``) for publishing and replay.
    Connections are made when :meth:`Channels.start` runs (lifespan), in the worker process.

    Args:
        url: ``redis://[[user]:password@]host:port/db``, ``rediss://`` for TLS or
            ``unix:///path?db=N``. ``valkey://`` is accepted as a synonym.
        prefix: Prefix of every key and pub/sub name (share one server between apps).
        maxlen: Approximate number of events each channel's stream retains for replay
            (``XADD MAXLEN ~``).
        publish_timeout: Seconds a publish keeps retrying while the server is unreachable
            (for example during a restart) before it raises ``ChannelsUnavailable``.
        listen_timeout: Seconds a new subscription waits for live delivery to be set up.
        ping_interval: Seconds between health checks of the listener connection; silence for
            two intervals counts as a lost connection.
        reconnect_delay: First delay before reconnecting; doubled up to ``max_reconnect_delay``.
        max_reconnect_delay: Longest delay between reconnect attempts.
    """

    shared = True

    def __init__(
        self,
        url: str = 'redis://127.0.0.1:6379/0',
        *,
        prefix: str = 'lanner:',
        maxlen: int = 10_000,
        publish_timeout: float = 10.0,
        listen_timeout: float = 5.0,
        ping_interval: float = 5.0,
        reconnect_delay: float = 0.05,
        max_reconnect_delay: float = 2.0,
    ) -> None:
        for name, value in (
            ('publish_timeout', publish_timeout),
            ('listen_timeout', listen_timeout),
            ('ping_interval', ping_interval),
            ('reconnect_delay', reconnect_delay),
            ('max_reconnect_delay', max_reconnect_delay),
        ):
            if not value > 0:
                raise ValueError(f'{name} must be a positive number of seconds, not {value!r}.')
        if not isinstance(maxlen, int) or isinstance(maxlen, bool) or maxlen < 1:
            raise ValueError(f'maxlen must be an int >= 1, got {maxlen!r}')
        self.url = url
        self._endpoint = _Endpoint(url)
        self.prefix = prefix
        self.maxlen = maxlen
        self.publish_timeout = publish_timeout
        self.listen_timeout = listen_timeout
        self.ping_interval = ping_interval
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self._live_prefix = f'{prefix}{self._endpoint.db}:live:'.encode()
        self._sink: BackendSink | None = None
        self._client: Any = None
        self._script: Any = None
        self._supervisor: asyncio.Task[None] | None = None
        self._session: _Session | None = None
        self._dirty = asyncio.Event()
        self._wanted: dict[bytes, str] = {}  # pub/sub name -> channel, for local subscribers
        self._pending: dict[bytes, int] = {}  # pub/sub name -> SUBSCRIBEs awaiting their reply
        self._active: set[bytes] = set()  # confirmed on the current connection
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}
        self._reconnects = 0
        self._closed = False

    def __repr__(self) -> str:
        return f'<RedisBackend {self._endpoint.host or self._endpoint.path}:{self._endpoint.port}>'

    @property
    def reconnects(self) -> int:
        """Times the listener re-established its subscriptions after losing its connection."""
        return self._reconnects

    @property
    def connected(self) -> bool:
        """Whether the listener connection is up."""
        return self._session is not None

    def bind(self, sink: BackendSink) -> None:
        if self._sink is not None and self._sink is not sink:
            raise RuntimeError('A backend serves one Channels object; create another backend.')
        self._sink = sink

    def _stream_key(self, channel: str) -> str:
        return f'{self.prefix}stream:{channel}'

    def _live_key(self, channel: str) -> bytes:
        return self._live_prefix + channel.encode()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self._supervisor is not None or self._closed:
            return
        try:
            import redis.asyncio
        except ImportError as exc:
            raise ModuleNotFoundError(
                f'RedisBackend needs redis-py, which is not installed. Install it with: '
                f'{_INSTALL_HINT}'
            ) from exc
        url = self.url
        if url.startswith(('valkey://', 'valkeys://')):
            url = 'redis' + url[len('valkey') :]
        self._client = redis.asyncio.Redis.from_url(
            url, socket_connect_timeout=self.listen_timeout, socket_timeout=self.publish_timeout
        )
        self._script = self._client.register_script(_PUBLISH_SCRIPT)
        # Made here, not in __init__: an asyncio.Event must belong to the serving loop.
        self._dirty = asyncio.Event()
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(), name='lanner-channels redis listener'
        )

    async def close(self) -> None:
        self._closed = True
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            try:
                await supervisor
            except asyncio.CancelledError:
                pass
        for waiters in self._waiters.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(ChannelsUnavailable('The channels were closed.'))
        self._waiters.clear()
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # ------------------------------------------------------------------ publish and replay

    async def publish(self, channel: str, data: bytes) -> str:
        if self._client is None:
            await self.start()
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        keys = [self._stream_key(channel), self._live_key(channel)]
        keys.append(f'{self.prefix}published:{secrets.token_hex(12)}')
        args = [data, self.maxlen]
        deadline = time.monotonic() + self.publish_timeout
        delay = self.reconnect_delay
        while True:
            try:
                event_id = await self._script(keys=keys, args=args)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                # The same token makes the retry harmless if the first attempt did land.
                if time.monotonic() + delay > deadline:
                    raise ChannelsUnavailable(
                        f'Could not publish on {channel!r}: Redis at {self.url} did not answer '
                        f'within {self.publish_timeout}s ({exc}).'
                    ) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_reconnect_delay)
                continue
            return event_id.decode() if isinstance(event_id, bytes) else str(event_id)

    async def history(
        self, channel: str, after_id: str | None, limit: int
    ) -> list[tuple[str, bytes]]:
        if self._client is None:
            await self.start()
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        start = '-'
        if after_id is not None:
            key = parse_id(after_id)
            if key is not None:
                # The next possible id, inclusive: the same as XRANGE's exclusive "(" start,
                # which Redis before 6.2 lacks.
                start = format_id((key[0], key[1] + 1))
        # Two attempts: after a server restart, a pooled connection the server closed fails on
        # its next use, and redis-py 5 does not retry it by default, as later versions do (the
        # failed connection is dropped, so the second attempt connects afresh). Reading is
        # harmless to repeat; a server that is really down fails both at once (refused).
        for attempt in (1, 2):
            try:
                entries = await self._client.xrange(
                    self._stream_key(channel), min=start, max='+', count=limit
                )
                break
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                if attempt == 1 and isinstance(exc, RedisConnectionError):
                    continue
                raise ChannelsUnavailable(
                    f'Could not read the history of {channel!r} from Redis at {self.url} ({exc}).'
                ) from exc
        return [
            (entry_id.decode() if isinstance(entry_id, bytes) else entry_id, fields[b'd'])
            for entry_id, fields in entries
        ]

    # ------------------------------------------------------------------ live delivery

    def _is_live(self, key: bytes) -> bool:
        session = self._session
        return (
            session is not None
            and key in session.subscribed
            and key in self._active
            and not self._pending.get(key)
        )

    async def listen(self, channel: str) -> None:
        if self._supervisor is None:
            await self.start()
        key = self._live_key(channel)
        self._wanted[key] = channel
        if self._is_live(key):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(key, []).append(waiter)
        self._dirty.set()
        try:
            await asyncio.wait_for(waiter, self.listen_timeout)
        except asyncio.TimeoutError:
            raise ChannelsUnavailable(
                f'Could not subscribe to {channel!r}: Redis at {self.url} did not confirm '
                f'within {self.listen_timeout}s.'
            ) from None
        finally:
            waiters = self._waiters.get(key)
            if waiters is not None and waiter in waiters:
                waiters.remove(waiter)
                if not waiters:
                    del self._waiters[key]

    async def unlisten(self, channel: str) -> None:
        key = self._live_key(channel)
        if self._wanted.pop(key, None) is not None:
            self._dirty.set()

    async def _supervise(self) -> None:
        delay = self.reconnect_delay
        connected_before = False
        while True:
            try:
                reader, writer = await asyncio.wait_for(self._endpoint.open(), self.listen_timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, _RespError) as exc:
                _logger.debug('Redis listener: cannot connect to %s: %r', self.url, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_reconnect_delay)
                continue
            delay = self.reconnect_delay
            if connected_before:
                self._reconnects += 1
                _logger.warning('Redis listener: reconnected to %s', self.url)
            connected_before = True
            session = _Session(reader, writer)
            self._session = session
            self._dirty.set()  # subscribe every wanted channel on the new connection
            try:
                await self._serve(session)
            except (
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                _RespError,
                ValueError,
            ) as exc:
                _logger.warning('Redis listener: lost the connection to %s: %r', self.url, exc)
            finally:
                self._session = None
                self._active.clear()
                self._pending.clear()
                writer.close()
            # Events published from now until the next SUBSCRIBE confirmation are not delivered
            # live: every subscriber is told, and resumes by replay.
            if self._sink is not None:
                self._sink.gap()

    async def _serve(self, session: _Session) -> None:
        loop = asyncio.get_running_loop()
        helpers = (
            loop.create_task(self._sync(session)),
            loop.create_task(self._watch(session)),
        )
        sink = self._sink
        try:
            while True:
                reply = await _read_value(session.reader)
                session.last_read = time.monotonic()
                if not isinstance(reply, list) or len(reply) != 3:
                    continue
                kind, key, payload = reply
                if kind == b'message':
                    channel = self._wanted.get(key)
                    if channel is not None and sink is not None and key in self._active:
                        event_id, _, data = payload.partition(b'\n')
                        sink.deliver(channel, event_id.decode(), data)
                elif kind == b'subscribe':
                    self._confirm(session, key)
                elif kind == b'unsubscribe':
                    if key not in session.subscribed and not self._pending.get(key):
                        self._active.discard(key)
        finally:
            for helper in helpers:
                helper.cancel()

    def _confirm(self, session: _Session, key: bytes) -> None:
        left = self._pending.get(key, 0) - 1
        if left > 0:
            self._pending[key] = left
            return
        self._pending.pop(key, None)
        if key in session.subscribed:
            self._active.add(key)
            for waiter in self._waiters.pop(key, ()):
                if not waiter.done():
                    waiter.set_result(None)

    async def _sync(self, session: _Session) -> None:
        """Tell the server about changes to the wanted channels, in the order they happen."""
        try:
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                add = [key for key in self._wanted if key not in session.subscribed]
                remove = [key for key in session.subscribed if key not in self._wanted]
                for key in add:
                    session.subscribed.add(key)
                    self._pending[key] = self._pending.get(key, 0) + 1
                for key in remove:
                    session.subscribed.discard(key)
                if add:
                    session.writer.write(_command('SUBSCRIBE', *add))
                if remove:
                    session.writer.write(_command('UNSUBSCRIBE', *remove))
                await session.writer.drain()
        except OSError:
            session.writer.close()  # the reader then fails and the supervisor reconnects

    async def _watch(self, session: _Session) -> None:
        """Ping the server; close a connection that stays silent for two intervals."""
        interval = self.ping_interval
        try:
            while True:
                await asyncio.sleep(interval)
                if time.monotonic() - session.last_read > 2 * interval:
                    _logger.warning('Redis listener: %s stopped answering', self.url)
                    session.writer.close()
                    return
                session.writer.write(_command('PING'))
                await session.writer.drain()
        except OSError:
            session.writer.close()
