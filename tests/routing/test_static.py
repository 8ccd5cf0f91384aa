"""Static routes: serving, caching headers, ranges, fallbacks, and refusing every escape."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
import email.utils
import io
import os
from pathlib import Path
import sys
from typing import Any

import pytest
from support.harness import Client, build_environ, build_scope, new_app, resource

from lanner import static
from lanner.errors import HTTPBadRequest
from lanner.routing import StaticRoute, StaticRouteAsync

CONTENT = b'hello world'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """tmp/public (served) next to tmp/secret.txt (must never be served)."""
    public = tmp_path / 'public'
    (public / 'sub').mkdir(parents=True)
    (public / 'a.txt').write_bytes(CONTENT)
    (public / 'index.html').write_bytes(b'<h1>index</h1>')
    (public / 'data.json').write_bytes(b'{}')
    (public / 'image.PNG').write_bytes(b'\x89PNG')
    (public / 'blob.unknownext').write_bytes(b'?')
    (public / 'noext').write_bytes(b'?')
    (public / 'empty.txt').write_bytes(b'')
    (public / 'sub' / 'b.css').write_bytes(b'body{}')
    (public / 'café.txt').write_bytes(b'accent')
    (tmp_path / 'secret.txt').write_bytes(b'TOP SECRET')
    return public


@pytest.fixture
def serve(make_app: Callable[..., Any], tree: Path) -> Callable[..., Client]:
    def factory(prefix: str = '/static', **kwargs: Any) -> Client:
        app = make_app()
        app.add_static_route(prefix, str(tree), **kwargs)
        return Client(app)

    return factory


def http_date(dt: datetime) -> str:
    return email.utils.format_datetime(dt.astimezone(timezone.utc), usegmt=True)


class TestConstruction:
    @pytest.mark.parametrize('prefix', ['static', '', 'static/'])
    def test_prefix_must_start_with_slash(self, tree: Path, prefix: str) -> None:
        with pytest.raises(ValueError, match='must start with "/"'):
            StaticRoute(prefix, str(tree))

    def test_prefix_may_not_contain_double_slash(self, tree: Path) -> None:
        with pytest.raises(ValueError, match='"//"'):
            StaticRoute('/a//b', str(tree))

    def test_directory_must_be_absolute(self) -> None:
        with pytest.raises(ValueError, match='absolute path'):
            StaticRoute('/static', 'public')
        with pytest.raises(ValueError, match='absolute path'):
            StaticRoute('/static', Path('public'))

    def test_directory_accepts_pathlib_and_is_normalised(self, tree: Path) -> None:
        route = StaticRoute('/static', tree / 'sub' / '..')
        assert route.directory == str(tree)
        assert route.prefix == '/static/'

    def test_fallback_must_exist(self, tree: Path) -> None:
        with pytest.raises(ValueError, match=r"fallback_filename 'missing\.html' does not name"):
            StaticRoute('/static', str(tree), fallback_filename='missing.html')
        with pytest.raises(ValueError, match='not a regular file'):
            StaticRoute('/static', str(tree), fallback_filename='sub')
        route = StaticRoute('/static', str(tree), fallback_filename='index.html')
        assert route.fallback_filename == str(tree / 'index.html')

    def test_match(self, tree: Path) -> None:
        route = StaticRoute('/static', str(tree))
        assert route.match('/static/a.txt')
        assert route.match('/static/')
        assert not route.match('/static')
        assert not route.match('/staticfoo')
        with_fallback = StaticRoute('/static/', str(tree), fallback_filename='index.html')
        assert with_fallback.match('/static')
        assert not with_fallback.match('/stati')

    def test_root_prefix(self, tree: Path, make_app: Callable[..., Any]) -> None:
        app = make_app()
        app.add_static_route('/', str(tree))
        client = Client(app)
        assert client.get('/a.txt').content == CONTENT
        assert client.get('/sub/b.css').content == b'body{}'


class TestServing:
    def test_file_and_headers(self, serve: Callable[..., Client], tree: Path) -> None:
        result = serve().get('/static/a.txt')
        assert result.status_code == 200
        assert result.content == CONTENT
        info = (tree / 'a.txt').stat()
        assert result.headers['content-type'] == 'text/plain'
        assert result.headers['content-length'] == str(len(CONTENT))
        assert result.headers['accept-ranges'] == 'bytes'
        assert result.headers['etag'] == f'"{int(info.st_mtime):x}-{info.st_size:x}"'
        modified = datetime.fromtimestamp(int(info.st_mtime), timezone.utc)
        assert result.headers['last-modified'] == http_date(modified)
        assert 'content-disposition' not in result.headers

    @pytest.mark.parametrize(
        ('name', 'content_type'),
        [
            ('index.html', 'text/html'),
            ('data.json', 'application/json'),
            # Suffixes are matched as they are (as Falcon), so '.PNG' is no '.png'.
            ('image.PNG', 'application/octet-stream'),
            ('sub/b.css', 'text/css'),
            ('blob.unknownext', 'application/octet-stream'),
            ('noext', 'application/octet-stream'),
        ],
    )
    def test_content_types(
        self, serve: Callable[..., Client], name: str, content_type: str
    ) -> None:
        result = serve().get(f'/static/{name}')
        assert result.status_code == 200
        assert result.headers['content-type'] == content_type

    def test_non_ascii_file_name(self, serve: Callable[..., Client]) -> None:
        assert serve().get('/static/café.txt').content == b'accent'

    def test_every_method_but_options_serves_the_file(self, serve: Callable[..., Client]) -> None:
        client = serve()
        for method in ('POST', 'PUT', 'DELETE', 'PATCH'):
            result = client.request(method, '/static/a.txt')
            assert (result.status_code, result.content) == (200, CONTENT)

    def test_options(self, serve: Callable[..., Client]) -> None:
        result = serve().options('/static/a.txt')
        assert result.status_code == 200
        assert result.headers['allow'] == 'GET'
        assert result.headers['content-length'] == '0'
        assert result.content == b''

    def test_downloadable(self, serve: Callable[..., Client]) -> None:
        client = serve(downloadable=True)
        assert client.get('/static/sub/b.css').headers['content-disposition'] == (
            'attachment; filename="b.css"'
        )
        assert (
            client.get('/static/café.txt').headers['content-disposition'].startswith('attachment;')
        )

    def test_large_file_streams_in_chunks(self, serve: Callable[..., Client], tree: Path) -> None:
        payload = os.urandom(300_000)
        (tree / 'big.bin').write_bytes(payload)
        result = serve().get('/static/big.bin')
        assert result.content == payload
        assert result.headers['content-length'] == str(len(payload))
        assert len(result.chunks) > 1

    @pytest.mark.skipif(not Path('/proc/self/fd').exists(), reason='needs /proc')
    def test_file_is_closed_after_serving(self, serve: Callable[..., Client]) -> None:
        client = serve()
        client.get('/static/a.txt')
        before = len(os.listdir('/proc/self/fd'))
        for _ in range(5):
            assert client.get('/static/a.txt').content == CONTENT
            assert client.get('/static/a.txt', headers={'Range': 'bytes=0-1'}).content == b'he'
        assert len(os.listdir('/proc/self/fd')) <= before

    def test_later_routes_take_precedence(
        self, make_app: Callable[..., Any], tree: Path, tmp_path: Path
    ) -> None:
        special = tmp_path / 'special'
        special.mkdir()
        (special / 'a.txt').write_bytes(b'special')
        app = make_app()
        app.add_static_route('/static', str(tree))
        app.add_static_route('/static/special', str(special))
        client = Client(app)
        assert client.get('/static/special/a.txt').content == b'special'
        assert client.get('/static/a.txt').content == CONTENT

    def test_routes_win_over_static_routes(
        self, make_app: Callable[..., Any], tree: Path, asgi: bool
    ) -> None:
        app = make_app()
        app.add_static_route('/static', str(tree))
        app.add_route(
            '/static/a.txt', resource(asgi, on_get=lambda req, resp: setattr(resp, 'text', 'route'))
        )
        assert Client(app).get('/static/a.txt').text == 'route'


class TestNotFound:
    @pytest.mark.parametrize(
        'path',
        [
            '/static/missing.txt',
            '/static/sub',
            '/static/sub/',
            '/static/',
            '/static',
            '/static/sub/nope',
        ],
    )
    def test_missing_and_directories(self, serve: Callable[..., Client], path: str) -> None:
        assert serve().get(path).status_code == 404

    @pytest.mark.parametrize(
        'path',
        [
            '/static/../secret.txt',
            '/static/sub/../../secret.txt',
            '/static/sub/../../public/../secret.txt',
            '/static/..',
            '/static/./../secret.txt',
            '/static//secret.txt',
            '/static//etc/passwd',
            '/static/..\\secret.txt',
            '/static/sub\\..\\..\\secret.txt',
            '/static/a.txt\x00',
            '/static/a\x00.txt',
            '/static/a.txt\n',
            '/static/\x7fa.txt',
            '/static/\x85a.txt',
            '/static/\ufffda.txt',
            '/static/a.txt.',
            '/static/a.txt ',
            '/static/ a.txt',
            '/static/~/a.txt',
            '/static/a.txt?',
            '/static/a.txt*',
            '/static/a<b',
            '/static/a>b',
            '/static/a|b',
            '/static/"a.txt"',
            "/static/'a.txt'",
            '/static/C:/Windows/win.ini',
            '/static/c:secret.txt',
            '/static/' + 'a' * 600,
        ],
    )
    def test_traversal_and_bad_names_are_404(self, serve: Callable[..., Client], path: str) -> None:
        # Paths reach the app percent-decoded, so %2e%2e%2f and %5c arrive as ../ and \ here.
        for client in (serve(), serve(fallback_filename='index.html')):
            result = client.get(path)
            assert result.status_code == 404, path
            assert b'SECRET' not in result.content

    def test_symlink_pointing_outside_is_refused(
        self, serve: Callable[..., Client], tree: Path
    ) -> None:
        (tree / 'escape.txt').symlink_to(tree.parent / 'secret.txt')
        (tree / 'escape_dir').symlink_to(tree.parent, target_is_directory=True)
        (tree / 'sub' / 'up.txt').symlink_to('../../secret.txt')
        client = serve()
        for path in ('/static/escape.txt', '/static/escape_dir/secret.txt', '/static/sub/up.txt'):
            result = client.get(path)
            assert result.status_code == 404, path
            assert b'SECRET' not in result.content

    def test_symlink_inside_the_directory_is_served(
        self, serve: Callable[..., Client], tree: Path
    ) -> None:
        (tree / 'alias.txt').symlink_to('a.txt')
        (tree / 'sub' / 'alias.txt').symlink_to('../a.txt')
        client = serve()
        assert client.get('/static/alias.txt').content == CONTENT
        assert client.get('/static/sub/alias.txt').content == CONTENT

    def test_served_directory_may_itself_be_a_symlink(
        self, make_app: Callable[..., Any], tree: Path, tmp_path: Path
    ) -> None:
        link = tmp_path / 'public-link'
        link.symlink_to(tree, target_is_directory=True)
        app = make_app()
        app.add_static_route('/static', str(link))
        client = Client(app)
        assert client.get('/static/a.txt').content == CONTENT
        (tree / 'escape.txt').symlink_to(tree.parent / 'secret.txt')
        assert client.get('/static/escape.txt').status_code == 404

    @pytest.mark.skipif(not hasattr(os, 'mkfifo'), reason='needs FIFOs')
    def test_fifo_is_refused_without_hanging(
        self, serve: Callable[..., Client], tree: Path
    ) -> None:
        os.mkfifo(tree / 'pipe.txt')
        assert serve().get('/static/pipe.txt').status_code == 404

    def test_missing_fallback_at_request_time_is_404(
        self, serve: Callable[..., Client], tree: Path
    ) -> None:
        client = serve(fallback_filename='index.html')
        (tree / 'index.html').unlink()
        assert client.get('/static/missing').status_code == 404


class TestFallback:
    def test_missing_files_get_the_fallback(self, serve: Callable[..., Client]) -> None:
        client = serve(fallback_filename='index.html')
        for path in (
            '/static/missing',
            '/static/deep/link/route',
            '/static/sub',
            '/static',
            '/static/',
        ):
            result = client.get(path)
            assert result.status_code == 200, path
            assert result.content == b'<h1>index</h1>'
            assert result.headers['content-type'] == 'text/html'

    def test_existing_files_are_served_normally(self, serve: Callable[..., Client]) -> None:
        assert serve(fallback_filename='index.html').get('/static/a.txt').content == CONTENT

    def test_downloadable_fallback_uses_its_own_name(self, serve: Callable[..., Client]) -> None:
        client = serve(fallback_filename='index.html', downloadable=True)
        result = client.get('/static/missing')
        assert result.headers['content-disposition'] == 'attachment; filename="index.html"'

    def test_fallback_outside_the_directory_is_allowed(
        self, make_app: Callable[..., Any], tree: Path
    ) -> None:
        app = make_app()
        app.add_static_route('/static', str(tree / 'sub'), fallback_filename=str(tree / 'a.txt'))
        assert Client(app).get('/static/nothing').content == CONTENT


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The files the static route opens (through io.open, as Falcon's route does)."""
    files: list[Any] = []
    real_open = io.open

    def recording_open(path: Any, mode: str) -> Any:
        file = real_open(path, mode)
        files.append((os.fspath(path), file))
        return file

    monkeypatch.setattr(static.io, 'open', recording_open)
    return files


class TestHead:
    def test_head_reports_length_and_closes_the_file(
        self, serve: Callable[..., Client], tree: Path, opened: list[Any]
    ) -> None:
        result = serve().head('/static/a.txt')
        assert result.status_code == 200
        assert result.content == b''
        assert result.headers['content-length'] == str(len(CONTENT))
        assert result.headers['content-type'] == 'text/plain'
        assert 'etag' in result.headers
        assert [path for path, _ in opened] == [str(tree / 'a.txt')]
        assert all(file.closed for _, file in opened)

    def test_head_with_range(self, serve: Callable[..., Client], opened: list[Any]) -> None:
        result = serve().head('/static/a.txt', headers={'Range': 'bytes=0-1'})
        assert result.status_code == 206
        assert result.headers['content-length'] == '2'
        assert result.headers['content-range'] == 'bytes 0-1/11'
        assert all(file.closed for _, file in opened)

    def test_not_modified_closes_the_file(
        self, serve: Callable[..., Client], opened: list[Any]
    ) -> None:
        client = serve()
        etag = client.get('/static/a.txt').headers['etag']
        assert client.get('/static/a.txt', headers={'If-None-Match': etag}).status_code == 304
        assert len(opened) == 2
        assert all(file.closed for _, file in opened)

    def test_get_reads_it_and_closes_it(
        self, serve: Callable[..., Client], opened: list[Any]
    ) -> None:
        assert serve().get('/static/a.txt').content == CONTENT
        assert len(opened) == 1
        assert all(file.closed for _, file in opened)


class TestConditional:
    def etag(self, tree: Path, name: str = 'a.txt') -> str:
        info = (tree / name).stat()
        return f'"{int(info.st_mtime):x}-{info.st_size:x}"'

    def mtime(self, tree: Path) -> datetime:
        return datetime.fromtimestamp(int((tree / 'a.txt').stat().st_mtime), timezone.utc)

    @pytest.mark.parametrize('form', ['{}', 'W/{}', '"other", {}', '*'])
    def test_if_none_match_hit_is_304(
        self, serve: Callable[..., Client], tree: Path, form: str, opened: list[Any]
    ) -> None:
        header = form.format(self.etag(tree))
        result = serve().get('/static/a.txt', headers={'If-None-Match': header})
        assert result.status_code == 304
        assert result.content == b''
        assert result.headers['etag'] == self.etag(tree)
        assert all(file.closed for _, file in opened)

    def test_if_none_match_miss_is_200(self, serve: Callable[..., Client]) -> None:
        result = serve().get('/static/a.txt', headers={'If-None-Match': '"0-0", "x"'})
        assert (result.status_code, result.content) == (200, CONTENT)

    def test_if_modified_since(self, serve: Callable[..., Client], tree: Path) -> None:
        client = serve()
        modified = self.mtime(tree)
        for since, status in [
            (modified, 304),
            (modified + timedelta(days=1), 304),
            (modified - timedelta(seconds=1), 200),
        ]:
            result = client.get('/static/a.txt', headers={'If-Modified-Since': http_date(since)})
            assert result.status_code == status, since

    def test_if_none_match_takes_precedence_over_if_modified_since(
        self, serve: Callable[..., Client], tree: Path
    ) -> None:
        headers = {
            'If-None-Match': '"not-it"',
            'If-Modified-Since': http_date(self.mtime(tree) + timedelta(days=1)),
        }
        assert serve().get('/static/a.txt', headers=headers).status_code == 200

    def test_fallback_etag_is_the_fallback_files(
        self, serve: Callable[..., Client], tree: Path
    ) -> None:
        client = serve(fallback_filename='index.html')
        result = client.get(
            '/static/missing', headers={'If-None-Match': self.etag(tree, 'index.html')}
        )
        assert result.status_code == 304


class TestRanges:
    @pytest.mark.parametrize(
        ('header', 'body', 'content_range'),
        [
            ('bytes=0-4', b'hello', 'bytes 0-4/11'),
            ('bytes=6-', b'world', 'bytes 6-10/11'),
            ('bytes=6-10', b'world', 'bytes 6-10/11'),
            ('bytes=3-100', b'lo world', 'bytes 3-10/11'),
            ('bytes=10-10', b'd', 'bytes 10-10/11'),
            ('bytes=-5', b'world', 'bytes 6-10/11'),
            ('bytes=-100', CONTENT, 'bytes 0-10/11'),
            ('bytes = 0-0', b'h', 'bytes 0-0/11'),
        ],
    )
    def test_satisfiable(
        self, serve: Callable[..., Client], header: str, body: bytes, content_range: str
    ) -> None:
        result = serve().get('/static/a.txt', headers={'Range': header})
        assert result.status_code == 206
        assert result.content == body
        assert result.headers['content-range'] == content_range
        assert result.headers['content-length'] == str(len(body))

    @pytest.mark.parametrize('header', ['bytes=11-', 'bytes=11-20', 'bytes=500-'])
    def test_unsatisfiable(self, serve: Callable[..., Client], header: str) -> None:
        result = serve().get('/static/a.txt', headers={'Range': header})
        assert result.status_code == 416
        assert result.headers['content-range'] == 'bytes */11'

    def test_zero_length_file_ignores_the_range(self, serve: Callable[..., Client]) -> None:
        result = serve().get('/static/empty.txt', headers={'Range': 'bytes=0-10'})
        assert (result.status_code, result.content) == (200, b'')
        assert result.headers['content-length'] == '0'

    def test_other_units_are_ignored(self, serve: Callable[..., Client]) -> None:
        result = serve().get('/static/a.txt', headers={'Range': 'items=0-1'})
        assert (result.status_code, result.content) == (200, CONTENT)

    @pytest.mark.parametrize(
        'header', ['bytes=a-b', 'bytes=5-1', 'bytes=0-1,3-4', 'bytes', 'bytes=-0']
    )
    def test_malformed_range_is_400(self, serve: Callable[..., Client], header: str) -> None:
        assert serve().get('/static/a.txt', headers={'Range': header}).status_code == 400


class TestReaders:
    def test_bounded_reader_never_passes_its_length(self) -> None:
        reader = static.BoundedReader(io.BytesIO(b'0123456789'), 5, 2)  # type: ignore[arg-type]
        assert reader.read(3) == b'234'
        assert reader.read(100) == b'56'
        assert reader.read() == b''
        assert b''.join(static.BoundedReader(io.BytesIO(b'0123456789'), 4)) == b'0123'  # type: ignore[arg-type]

    def test_bounded_reader_stops_when_the_file_shrinks(self) -> None:
        reader = static.BoundedReader(io.BytesIO(b'abc'), 10)  # type: ignore[arg-type]
        assert reader.read(8) == b'abc'
        assert reader.read(8) == b''

    def test_async_reader(self) -> None:
        async def main() -> bytes:
            raw = io.BytesIO(b'0123456789')
            reader = static._AsyncBoundedReader(static.BoundedReader(raw, 8, 1))  # type: ignore[arg-type]
            first = await reader.read(2)
            rest = b''.join([chunk async for chunk in reader])
            await reader.close()
            assert raw.closed
            return first + rest

        assert asyncio.run(main()) == b'12345678'


def test_websocket_handshake_to_a_static_route_is_400(tree: Path) -> None:
    route = StaticRouteAsync('/static', str(tree))

    class Req:
        method = 'GET'
        path = '/static/a.txt'

    with pytest.raises(HTTPBadRequest):
        asyncio.run(route(Req(), None, ws=object()))


@pytest.mark.skipif(sys.platform == 'win32', reason='POSIX permissions')
def test_unreadable_file_is_404(serve: Callable[..., Client], tree: Path) -> None:
    target = tree / 'locked.txt'
    target.write_bytes(b'x')
    target.chmod(0)
    try:
        if os.access(target, os.R_OK):
            pytest.skip('running as a user that ignores permissions')
        assert serve().get('/static/locked.txt').status_code == 404
    finally:
        target.chmod(0o644)


class TestAsyncFilesystemPlacement:
    """ASGI: small files are served on the event loop until the filesystem turns out slow."""

    @staticmethod
    def recording_executor(monkeypatch: pytest.MonkeyPatch) -> list[str]:
        calls: list[str] = []
        real = static._in_executor

        async def recording(func: Any, *args: Any) -> Any:
            calls.append(getattr(func, '__name__', repr(func)))
            return await real(func, *args)

        monkeypatch.setattr(static, '_in_executor', recording)
        return calls

    def test_small_file_is_served_without_an_executor_hop(
        self, tree: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = self.recording_executor(monkeypatch)
        app = new_app(asgi=True)
        app.add_static_route('/static', str(tree))
        result = Client(app).get('/static/a.txt')
        assert (result.status_code, result.content) == (200, CONTENT)
        assert calls == []

    def test_large_file_is_read_in_the_executor(
        self, tree: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        big = os.urandom(static._SMALL_FILE + 1000)
        (tree / 'big.bin').write_bytes(big)
        calls = self.recording_executor(monkeypatch)
        app = new_app(asgi=True)
        app.add_static_route('/static', str(tree))
        result = Client(app).get('/static/big.bin')
        assert (result.status_code, result.content) == (200, big)
        assert calls and set(calls) <= {'read', 'close'}

    def test_slow_filesystem_moves_the_route_to_the_executor(
        self, tree: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        calls = self.recording_executor(monkeypatch)
        monkeypatch.setattr(static, '_SLOW_FILESYSTEM', -1.0)  # every request counts as slow
        app = new_app(asgi=True)
        app.add_static_route('/static', str(tree))
        client = Client(app)
        with caplog.at_level('WARNING', logger='lanner'):
            # One or two slow requests may be the process being preempted: no change yet.
            for _ in range(static._SLOW_STRIKES - 1):
                assert client.get('/static/a.txt').status_code == 200
            assert caplog.text == ''
            first = client.get('/static/a.txt')
        assert (first.status_code, first.content) == (200, CONTENT)
        assert calls == []
        assert 'Static route /static/: 3 requests within 10 s took over' in caplog.text
        assert '(the last, /static/a.txt, ' in caplog.text
        assert 'runs in the executor for the next 60 s' in caplog.text

        second = client.get('/static/sub/b.css')
        assert (second.status_code, second.content) == (200, b'body{}')
        assert calls == ['_serve_file']
        # A refusal from the executor is still a 404.
        assert client.get('/static/../secret.txt').status_code == 404

    @pytest.mark.parametrize(
        'setting',
        [
            '_OFFLOAD_SECONDS',  # the executor period is over as soon as it starts
            '_STRIKE_WINDOW',  # each strike starts a new window: never three in one
        ],
    )
    def test_the_route_stays_inline_when(
        self, tree: Path, monkeypatch: pytest.MonkeyPatch, setting: str
    ) -> None:
        calls = self.recording_executor(monkeypatch)
        monkeypatch.setattr(static, '_SLOW_FILESYSTEM', -1.0)  # every request counts as slow
        monkeypatch.setattr(static, setting, -1.0)
        app = new_app(asgi=True)
        app.add_static_route('/static', str(tree))
        client = Client(app)
        for _ in range(static._SLOW_STRIKES + 1):
            assert client.get('/static/a.txt').status_code == 200
        assert calls == []

    def test_serve_inline_false_always_uses_the_executor(
        self, tree: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls = self.recording_executor(monkeypatch)
        monkeypatch.setattr(StaticRouteAsync, 'serve_inline', False)
        app = new_app(asgi=True)
        app.add_static_route('/static', str(tree))
        result = Client(app).get('/static/a.txt')
        assert (result.status_code, result.content) == (200, CONTENT)
        assert calls == ['_serve_file']


class TestCalledDirectly:
    """A route called outside an App leaves its body in ``resp.stream``, as Falcon's does."""

    @pytest.mark.parametrize('size', [11, 200 * 1024])
    def test_asgi_route_leaves_a_readable_stream(self, tree: Path, size: int) -> None:
        import lanner.asgi

        payload = bytes(range(256)) * (size // 256) + b'x' * (size % 256)
        (tree / 'payload.bin').write_bytes(payload)
        route = StaticRouteAsync('/static', str(tree))

        async def receive() -> dict[str, Any]:
            return {'type': 'http.request', 'body': b'', 'more_body': False}

        async def main() -> bytes:
            req = lanner.asgi.Request(build_scope('GET', '/static/payload.bin'), receive)
            resp = lanner.asgi.Response()
            await route(req, resp)
            assert resp.data is None
            assert resp.content_length == str(size)
            chunks = [await resp.stream.read(4096)]
            chunks.append(await resp.stream.read())
            assert await resp.stream.read() == b''
            await resp.stream.close()
            return b''.join(chunks)

        assert asyncio.run(main()) == payload

    def test_wsgi_route_leaves_a_readable_stream(self, tree: Path) -> None:
        import lanner

        route = StaticRoute('/static', str(tree))
        req = lanner.Request(build_environ('GET', '/static/a.txt'))
        resp = lanner.Response()
        route(req, resp)
        assert resp.stream.read() == CONTENT
        resp.stream.close()
