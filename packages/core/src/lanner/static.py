"""Static file routes: ``App.add_static_route(prefix, directory, ...)``.

Invariants (security first; every refusal is a 404 so probing learns nothing):

* Only regular files at or below ``directory`` are ever opened. The request path is validated
  lexically (no ``..`` escape, no absolute remainder, no backslashes, control characters,
  Windows-special characters or over-long names), then resolved with :func:`os.path.realpath`
  and checked to still lie inside the resolved directory, so symlinks pointing outside are
  refused. Whatever exists but is not a regular file (a FIFO would block ``open()``, a device,
  a directory) is refused before it is opened; size and modification time come from ``fstat``
  of the opened file. (Falcon's calls, ``io.open(path, 'rb')`` then ``os.fstat``, are kept.)
* HEAD and conditional hits (304) open the file only to ``fstat`` it, and close it at once.
* The body is a bounded reader: it never yields more than the ``Content-Length`` announced,
  even if the file grows while it is being sent, and it reads in chunks the server asks for.
* The async flavour serves small files from the event loop while the filesystem answers from
  memory. After ``_SLOW_STRIKES`` requests within ``_STRIKE_WINDOW`` whose work there took
  longer than ``_SLOW_FILESYSTEM`` (a cold disk, a network mount), the route moves its
  filesystem work to the default executor for ``_OFFLOAD_SECONDS``, so a slow disk stalls the
  loop a few milliseconds a handful of times, not on every request. Bodies over ``_SMALL_FILE``
  are always read in the executor, chunk by chunk. (Why not always the executor: under load
  every hop waits for the GIL behind the busy loop thread; measured in docs/performance.md.)
"""

from __future__ import annotations

from datetime import datetime, timezone
import io
import logging
import os
import re
import stat
from time import perf_counter
from typing import Any, BinaryIO, ClassVar

from lanner.errors import HTTPBadRequest, HTTPNotFound, HTTPRangeNotSatisfiable
from lanner.status_codes import HTTP_200, HTTP_206, HTTP_304

__all__ = ('StaticRoute', 'StaticRouteAsync')

# Control characters, C1 controls, the replacement character (a sign of undecodable input), the
# characters Windows forbids or treats specially, and backslash (a separator on Windows).
_DISALLOWED = re.compile('[\x00-\x1f\x7f-\x9f\ufffd~?<>:*|\'"\\\\]')
_CHUNK = 64 * 1024


# Files up to this size are read whole on ASGI; larger ones are streamed from the executor.
_SMALL_FILE = 64 * 1024
# Page-cache hits take some 20-50 us for the whole of locate, stat, open and read; a request
# whose filesystem work takes longer than this is a strike against the filesystem. One strike is
# not enough: on a loaded machine the process is sometimes preempted for a few ms in the middle
# (seen in the soak), so a route moves to the executor after _SLOW_STRIKES within _STRIKE_WINDOW.
_SLOW_FILESYSTEM = 0.002
_SLOW_STRIKES = 3
_STRIKE_WINDOW = 10.0
# How long a route keeps its filesystem work in the executor after its third strike.
_OFFLOAD_SECONDS = 60.0

_logger = logging.getLogger('lanner')


class _NotServable(Exception):
    """The path does not name a regular file we may serve (missing, directory, outside...)."""


class BoundedReader:
    """A file reader that stops after ``length`` bytes, starting at ``offset``.

    ``offset=0`` reads from the file's current position. Internal to the static routes (not in
    ``__all__``); ``lanner.routing.static`` also offers it under Falcon's private name
    ``_BoundedFile``, with the same ``(file, length)`` call.
    """

    __slots__ = ('_file', '_offset', '_remaining')

    def __init__(self, file: BinaryIO, length: int, offset: int = 0) -> None:
        self._file = file
        self._offset = offset
        self._remaining = length

    def read(self, size: int | None = -1) -> bytes:
        if self._remaining <= 0:
            return b''
        if self._offset:
            self._file.seek(self._offset)
            self._offset = 0
        if size is None or size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size)
        if not data:
            self._remaining = 0
            return b''
        self._remaining -= len(data)
        return data

    def __iter__(self) -> BoundedReader:
        return self

    def __next__(self) -> bytes:
        data = self.read(_CHUNK)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        self._file.close()


class _AsyncBoundedReader:
    """The async face of :class:`BoundedReader`: reads and close run in the executor."""

    __slots__ = ('_reader',)

    def __init__(self, reader: BoundedReader) -> None:
        self._reader = reader

    async def read(self, size: int | None = -1) -> bytes:
        data: bytes = await _in_executor(self._reader.read, size)
        return data

    def __aiter__(self) -> _AsyncBoundedReader:
        return self

    async def __anext__(self) -> bytes:
        data = await self.read(_CHUNK)
        if not data:
            raise StopAsyncIteration
        return data

    async def close(self) -> None:
        await _in_executor(self._reader.close)


class _AsyncBytesReader:
    """An async reader over a small file already read into memory (no executor hop)."""

    __slots__ = ('_data', '_position')

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0

    async def read(self, size: int | None = -1) -> bytes:
        start = self._position
        end = len(self._data) if size is None or size < 0 else min(start + size, len(self._data))
        self._position = end
        return self._data[start:end]

    def __aiter__(self) -> _AsyncBytesReader:
        return self

    async def __anext__(self) -> bytes:
        data = await self.read(_CHUNK)
        if not data:
            raise StopAsyncIteration
        return data

    async def close(self) -> None:
        self._data = b''


async def _in_executor(func: Any, *args: Any) -> Any:
    import asyncio  # already imported by any running event loop; kept out of `import lanner`

    return await asyncio.get_running_loop().run_in_executor(None, func, *args)


def _inside(path: str, directory: str) -> bool:
    try:
        return path != directory and os.path.commonpath([path, directory]) == directory
    except ValueError:  # different drives on Windows
        return False


class StaticRoute:
    """Serve the files under ``directory`` for request paths that start with ``prefix``.

    Args:
        prefix: The URL path prefix, e.g. ``'/static'``; must start with ``/``.
        directory: Absolute path (``str`` or :class:`pathlib.Path`) of the directory to serve.
        downloadable: Add ``Content-Disposition: attachment`` so browsers save the file.
        fallback_filename: File served when the requested one does not exist (and for the bare
            prefix), e.g. ``'index.html'`` for single-page apps; relative to ``directory`` or
            absolute, and it must exist.

    Raises:
        ValueError: ``prefix`` or ``directory`` is invalid, or the fallback file does not exist.
    """

    # The longest path remainder (after the prefix) looked up; Falcon's name for the limit.
    _MAX_NON_PREFIXED_LEN: ClassVar[int] = 512

    def __init__(
        self,
        prefix: str,
        directory: str | os.PathLike[str],
        downloadable: bool = False,
        fallback_filename: str | None = None,
    ) -> None:
        if not isinstance(prefix, str) or not prefix.startswith('/'):
            raise ValueError(f'The static route prefix must start with "/", got {prefix!r}.')
        if '//' in prefix:
            raise ValueError(f'The static route prefix may not contain "//", got {prefix!r}.')
        directory = os.path.normpath(os.fspath(directory))
        if not os.path.isabs(directory):
            raise ValueError(
                f'The static route directory must be an absolute path, got {directory!r}. '
                'Build it from a known location, e.g. pathlib.Path(__file__).parent / "static".'
            )
        fallback = None
        if fallback_filename is not None:
            fallback = os.path.normpath(os.path.join(directory, fallback_filename))
            if not os.path.isfile(fallback):
                raise ValueError(
                    f'The fallback_filename {fallback_filename!r} does not name a file in '
                    f'{directory!r} (it is missing or not a regular file).'
                )

        self._prefix = prefix if prefix.endswith('/') else prefix + '/'
        self._directory = directory
        self._fallback_filename = fallback
        self._downloadable = bool(downloadable)

    @property
    def prefix(self) -> str:
        """The URL prefix, always ending with ``/``."""
        return self._prefix

    @property
    def directory(self) -> str:
        """The normalised absolute directory served."""
        return self._directory

    @property
    def fallback_filename(self) -> str | None:
        """Absolute path of the fallback file, if any."""
        return self._fallback_filename

    @property
    def downloadable(self) -> bool:
        """Whether responses carry ``Content-Disposition: attachment``."""
        return self._downloadable

    def match(self, path: str) -> bool:
        """Whether this route serves ``path`` (the percent-decoded request path)."""
        if path.startswith(self._prefix):
            return True
        return self._fallback_filename is not None and path == self._prefix[:-1]

    # ------------------------------------------------------------------ path checks

    def _requested_file(self, path: str) -> str | None:
        """The absolute file path requested, ``None`` for "use the fallback", or 404."""
        if not self.match(path):
            raise HTTPNotFound()
        remainder = path[len(self._prefix) :]
        if not remainder:
            if self._fallback_filename is None:
                raise HTTPNotFound()
            return None
        if (
            len(remainder) > self._MAX_NON_PREFIXED_LEN
            or remainder != remainder.strip()
            or remainder.endswith('.')
            or '//' in remainder
            or _DISALLOWED.search(remainder)
        ):
            raise HTTPNotFound()
        normalized = os.path.normpath(remainder)
        if (
            normalized == '..'
            or normalized.startswith('../')
            or normalized.startswith('/')
            or os.path.isabs(normalized)
        ):
            raise HTTPNotFound()
        return os.path.join(self._directory, normalized)

    def _open_requested(self, file_path: str | None) -> tuple[str, BinaryIO, os.stat_result]:
        """Open the file to serve (falling back if configured): its path, file and ``fstat``."""
        if file_path is not None:
            try:
                return self._open_regular(file_path, contained=True)
            except _NotServable:
                if self._fallback_filename is None:
                    raise HTTPNotFound() from None
        assert self._fallback_filename is not None
        try:
            return self._open_regular(self._fallback_filename, contained=False)
        except _NotServable:
            raise HTTPNotFound() from None

    def _open_regular(
        self, file_path: str, contained: bool
    ) -> tuple[str, BinaryIO, os.stat_result]:
        try:
            real = os.path.realpath(file_path)
            if contained and not _inside(real, os.path.realpath(self._directory)):
                raise _NotServable(file_path)
            # open() of a FIFO would block until a writer appears, and a device or directory is
            # nothing to serve: refuse whatever exists but is no regular file before opening.
            # A missing path is left for open() to report (it is the authority on races).
            try:
                kind = os.stat(real).st_mode
            except FileNotFoundError:
                pass
            else:
                if not stat.S_ISREG(kind):
                    raise _NotServable(file_path)
            # io.open, as Falcon's static route calls it, so code that patches it keeps working.
            file = io.open(real, 'rb')  # noqa: UP020
        except (OSError, ValueError) as exc:
            raise _NotServable(file_path) from exc
        try:
            info = os.fstat(file.fileno())
        except OSError as exc:
            file.close()
            raise _NotServable(file_path) from exc
        return real, file, info

    # ------------------------------------------------------------------ response

    @staticmethod
    def _options(resp: Any) -> None:
        resp.status = HTTP_200
        resp.set_header('Allow', 'GET')
        resp.set_header('Content-Length', '0')

    def _prepare(
        self, req: Any, resp: Any, real: str, info: os.stat_result
    ) -> tuple[int, int] | None:
        """Set every header; return ``(offset, length)`` of the body, or None for no body."""
        resp.set_header('Accept-Ranges', 'bytes')
        size = info.st_size
        mtime = int(info.st_mtime)
        etag = f'{mtime:x}-{size:x}'
        resp.set_header('ETag', f'"{etag}"')
        modified = datetime.fromtimestamp(mtime, timezone.utc)
        resp.last_modified = modified

        if_none_match = req.if_none_match
        if if_none_match is not None:
            not_modified = if_none_match == ['*'] or any(str(tag) == etag for tag in if_none_match)
        else:
            since = req.if_modified_since
            if since is not None and since.tzinfo is None:
                since = since.replace(tzinfo=timezone.utc)
            not_modified = since is not None and modified <= since
        if not_modified:
            # A 304 carries validators but no representation headers such as Content-Type.
            resp.status = HTTP_304
            return None

        # The suffix is looked up as it is, as Falcon does: '.PNG' is not '.png' unless
        # resp.options.static_media_types says so.
        extension = os.path.splitext(real)[1]
        resp.content_type = resp.options.static_media_types.get(
            extension, 'application/octet-stream'
        )
        if self._downloadable:
            resp.downloadable_as = os.path.basename(real)

        offset, length = 0, size
        if size and req.range is not None and req.range_unit == 'bytes':
            first, last = req.range
            if first < 0:
                first = max(0, size + first)
                last = size - 1
            elif first >= size:
                raise HTTPRangeNotSatisfiable(size)
            elif last < 0 or last >= size:
                last = size - 1
            resp.status = HTTP_206
            resp.set_header('Content-Range', f'bytes {first}-{last}/{size}')
            offset, length = first, last - first + 1
        else:
            resp.status = HTTP_200
        return offset, length

    def _body_reader(self, req: Any, resp: Any) -> tuple[BoundedReader, int] | None:
        """Locate the file and set every header; return the body's reader and length, or None
        when there is no body to send (304, HEAD)."""
        real, file, info = self._open_requested(self._requested_file(req.path))
        try:
            body = self._prepare(req, resp, real, info)
        except BaseException:
            file.close()
            raise
        if body is None:
            file.close()
            return None
        offset, length = body
        if req.method == 'HEAD':
            file.close()
            resp.set_header('Content-Length', str(length))
            return None
        return BoundedReader(file, length, offset), length

    def __call__(self, req: Any, resp: Any, **kwargs: Any) -> None:
        """Serve the file for ``req.path`` (any method; OPTIONS answers ``Allow: GET``)."""
        if req.method == 'OPTIONS':
            self._options(resp)
            return
        opened = self._body_reader(req, resp)
        if opened is not None:
            resp.set_stream(*opened)


class StaticRouteAsync(StaticRoute):
    """:class:`StaticRoute` for ASGI apps: small files from the event loop, slow disks off it.

    Small files are served from the event loop while the filesystem answers quickly; once three
    requests within 10 s took longer than 2 ms each, this route does that work in the default
    executor for the next 60 s (and logs it). Large bodies are always read in the executor.

    Attributes:
        serve_inline: Set to False (on the class, a subclass or a route) to do every filesystem
            call in the executor, e.g. for a network mount that may hang outright, which the
            timing above cannot catch (a call that never returns is never timed).
    """

    serve_inline = True

    # perf_counter() values: until when the filesystem work goes to the executor, and until
    # when the current strike count stands.
    _offload_until = 0.0
    _strikes_until = 0.0
    _strikes = 0

    async def __call__(  # type: ignore[override]
        self, req: Any, resp: Any, ws: Any = None, **kwargs: Any
    ) -> None:
        if ws is not None:
            raise HTTPBadRequest()
        if req.method == 'OPTIONS':
            self._options(resp)
            return
        started = perf_counter()
        if started < self._offload_until or not self.serve_inline:
            await _in_executor(self._serve_file, req, resp)
            return
        # PERF: inline, not one executor hop per request. Under load an executor hop waits for
        # the GIL behind the busy event loop thread (up to the 5 ms switch interval per
        # handoff, several handoffs per hop): in the soak mix (256 connections) the hop put the
        # static page's median latency 20-30 ms above every other request's and cost ~25% of
        # the server's throughput; inline, static is as fast as the rest. See performance.md.
        try:
            self._serve_file(req, resp)
        finally:
            elapsed = perf_counter() - started
            if elapsed > _SLOW_FILESYSTEM:
                self._strike(req.path, started + elapsed, elapsed)

    def _strike(self, path: str, now: float, elapsed: float) -> None:
        if now > self._strikes_until:
            self._strikes = 0
            self._strikes_until = now + _STRIKE_WINDOW
        self._strikes += 1
        if self._strikes < _SLOW_STRIKES:
            return
        self._strikes = 0
        self._offload_until = now + _OFFLOAD_SECONDS
        _logger.warning(
            'Static route %s: %d requests within %.0f s took over %.0f ms each on the event loop '
            '(the last, %s, %.1f ms): slow filesystem? Its file access runs in the executor for '
            'the next %.0f s.',
            self._prefix,
            _SLOW_STRIKES,
            _STRIKE_WINDOW,
            _SLOW_FILESYSTEM * 1000,
            path,
            elapsed * 1000,
            _OFFLOAD_SECONDS,
        )

    def _serve_file(self, req: Any, resp: Any) -> None:
        """The filesystem part of serving a file (on the event loop, or in the executor)."""
        opened = self._body_reader(req, resp)
        if opened is None:
            return
        reader, length = opened
        if length > _SMALL_FILE:
            resp.set_stream(_AsyncBoundedReader(reader), length)
            return
        try:
            chunks = []
            while chunk := reader.read():
                chunks.append(chunk)
        finally:
            reader.close()
        # A stream, as Falcon's route leaves it (code that calls the route reads resp.stream).
        resp.set_stream(_AsyncBytesReader(b''.join(chunks)), length)
