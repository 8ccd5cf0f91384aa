"""Command-line tools: ``lanner`` (``serve``, ``routes``) and ``lanner-inspect-app``.

``lanner serve MODULE:APP [--host 127.0.0.1] [--port 8000] [--reload] [--workers N]``
    Serve an App. ASGI apps run on uvicorn (``pip install "lanner[server]"``). WSGI apps run on
    uvicorn's WSGI interface when uvicorn is installed, otherwise on the standard library's
    ``wsgiref`` server (single-threaded; for development only). ``--workers N`` runs N uvicorn
    worker processes; it warns when no shared channels backend is configured
    (``LANNER_CHANNELS_URL``), because WebSocket and SSE fan-out would then stay inside each
    worker (docs/scaling.md).

``lanner routes MODULE:APP [--json] [-v] [-i]``
    Print what :mod:`lanner.inspect` finds in the App: routes, middleware, static routes, sinks
    and error handlers (``--json`` for machine-readable output).

``lanner-inspect-app [-r] [-v] [-i] MODULE:APP``
    The equivalent of Falcon's ``falcon-inspect-app``.

``MODULE:APP`` names a module importable from the current directory and an attribute in it: an
App, or a callable taking no arguments that returns one (an app factory).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any, NoReturn

__all__ = ('inspect_app_main', 'load_app', 'main', 'make_parser', 'route_main')

_SERVER_HINT = 'pip install "lanner[server]"'
_CHANNELS_ENV = 'LANNER_CHANNELS_URL'


def _is_app(obj: object) -> bool:
    from lanner.app import App

    return isinstance(obj, App)


def _resolve(parser: argparse.ArgumentParser, app_module: str) -> tuple[Any, bool]:
    """Import ``MODULE:APP``; return the App and whether the attribute was a factory."""
    if ':' not in app_module:
        parser.error(
            f'{app_module!r} is not of the form MODULE:APP (for example "myproject.app:app").'
        )
    module_name, _, attribute = app_module.partition(':')
    if not module_name or not attribute:
        parser.error(f'{app_module!r} is not of the form MODULE:APP (both parts are required).')
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        parser.error(f'could not import {module_name!r}: {exc}')
    try:
        app = getattr(module, attribute)
    except AttributeError:
        parser.error(f'{attribute!r} not found in module {module_name!r}')
    factory = False
    if not _is_app(app) and callable(app):
        factory = True
        try:
            app = app()
        except TypeError:
            parser.error(
                f'{app_module} is neither an App nor a factory that can be called without '
                'arguments.'
            )
    if not _is_app(app):
        parser.error(f'{app_module} did not produce a lanner App (got {type(app).__name__}).')
    return app, factory


def load_app(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Any:
    """Load the App named by ``args.app_module`` (errors go through ``parser.error``)."""
    return _resolve(parser, args.app_module)[0]


# ---------------------------------------------------------------------- lanner-inspect-app


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lanner-inspect-app`` (same options as falcon-inspect-app)."""
    parser = argparse.ArgumentParser(
        prog='lanner-inspect-app', description='Print the routes and components of an App.'
    )
    parser.add_argument('-r', '--route_only', action='store_true', help='Print only the routes.')
    parser.add_argument(
        '-v', '--verbose', action='store_true', help='Add source locations to the output.'
    )
    parser.add_argument(
        '-i',
        '--internal',
        action='store_true',
        help='Include the default responders and error handlers the framework adds.',
    )
    parser.add_argument('app_module', help='MODULE:APP, e.g. "myproject.app:app".')
    return parser


def inspect_app_main(argv: list[str] | None = None) -> None:
    """Entry point of ``lanner-inspect-app``."""
    from lanner import inspect

    parser = make_parser()
    args = parser.parse_args(argv)
    app = load_app(parser, args)
    if args.route_only:
        visitor = inspect.StringVisitor(args.verbose, args.internal)
        for route in inspect.inspect_routes(app):
            print(visitor.process(route))
    else:
        print(inspect.inspect_app(app).to_string(args.verbose, args.internal))


def route_main() -> NoReturn:
    """Falcon's retired ``falcon-print-routes``: explain the replacement and exit with 2."""
    print(
        'The "print-routes" command is no longer supported; use "lanner-inspect-app MODULE:APP" '
        'or "lanner routes MODULE:APP" instead.',
        file=sys.stderr,
    )
    raise SystemExit(2)


# ---------------------------------------------------------------------- lanner


def _main_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(prog='lanner', description='lanner command-line tools.')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)

    serve = commands.add_parser('serve', help='Serve an App (uvicorn, or wsgiref for WSGI).')
    serve.add_argument('app_module', metavar='MODULE:APP')
    serve.add_argument('--host', default='127.0.0.1', help='Interface to bind (127.0.0.1).')
    serve.add_argument('--port', type=int, default=8000, help='Port to bind (8000).')
    serve.add_argument(
        '--reload', action='store_true', help='Restart when source files change (uvicorn).'
    )
    serve.add_argument(
        '--workers',
        type=_worker_count,
        default=1,
        metavar='N',
        help='Worker processes (1). More than one needs shared channels for WebSocket/SSE '
        f'fan-out: set {_CHANNELS_ENV}=redis://HOST:PORT/DB.',
    )
    serve.add_argument(
        '--graceful-timeout',
        type=float,
        default=5.0,
        metavar='SECONDS',
        help='On shutdown, wait at most this long for open requests, streams and WebSockets '
        '(5; uvicorn would otherwise wait forever for an endless SSE stream).',
    )

    routes = commands.add_parser('routes', help='Print the routes and components of an App.')
    routes.add_argument('app_module', metavar='MODULE:APP')
    routes.add_argument('--json', action='store_true', help='Print JSON instead of text.')
    routes.add_argument('-v', '--verbose', action='store_true', help='Add source locations.')
    routes.add_argument('-i', '--internal', action='store_true', help='Include framework defaults.')
    return parser, {'serve': serve, 'routes': routes}


def _worker_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f'expected a whole number of workers >= 1, got {text!r}')
    return count


def _has_shared_channels(app: Any) -> bool:
    """Whether fan-out crosses processes: the environment names a channels URL, or the App has
    a lifespan component that says it is shared (``lanner.channels.Channels.shared``)."""
    if os.environ.get(_CHANNELS_ENV, '').strip():
        return True
    components = getattr(app, '_unprepared_middleware', ())
    return any(getattr(component, 'shared', False) is True for component in components)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``lanner`` command."""
    parser, subparsers = _main_parser()
    args = parser.parse_args(argv)
    subparser = subparsers[args.command]
    if args.command == 'routes':
        _routes(subparser, args)
    else:
        _serve(subparser, args)


def _routes(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    from lanner import inspect

    app = load_app(parser, args)
    info = inspect.inspect_app(app)
    if args.json:
        data = inspect.DictVisitor(internal=args.internal).process(info)
        if not args.verbose:
            _drop_source_info(data)
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(info.to_string(args.verbose, args.internal))


def _drop_source_info(data: Any) -> None:
    if isinstance(data, dict):
        data.pop('source_info', None)
        for value in data.values():
            _drop_source_info(value)
    elif isinstance(data, list):
        for item in data:
            _drop_source_info(item)


def _serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    app, factory = _resolve(parser, args.app_module)
    asgi = bool(app._ASGI)
    workers: int = args.workers
    if workers > 1 and args.reload:
        parser.exit(2, 'lanner serve: --reload and --workers cannot be combined.\n')
    if workers > 1 and not _has_shared_channels(app):
        print(
            f'lanner serve: warning: {workers} workers without shared channels. WebSocket and '
            f'SSE fan-out (Broadcaster, EventBroker) will reach only the clients of the worker '
            f'that published, and a Last-Event-ID reconnect to another worker gets no replay. '
            f'Set {_CHANNELS_ENV}=redis://HOST:PORT/DB (Redis or Valkey) and give the app '
            f'lanner.channels.Channels.from_url(...); see docs/scaling.md.',
            file=sys.stderr,
            flush=True,
        )
    try:
        import uvicorn
    except ImportError:
        if workers > 1:
            parser.exit(
                2,
                f'lanner serve: --workers needs the uvicorn server, which is not installed. '
                f'Install it with: {_SERVER_HINT}\n',
            )
        if asgi:
            parser.exit(
                2,
                f'lanner serve: an ASGI app needs the uvicorn server, which is not installed. '
                f'Install it with: {_SERVER_HINT}\n',
            )
        if args.reload:
            parser.exit(
                2,
                f'lanner serve: --reload needs the uvicorn server, which is not installed. '
                f'Install it with: {_SERVER_HINT}\n',
            )
        _serve_wsgiref(app, args.host, args.port)
        return

    options: dict[str, Any] = {
        'host': args.host,
        'port': args.port,
        'interface': 'asgi3' if asgi else 'wsgi',
        'timeout_graceful_shutdown': args.graceful_timeout,
    }
    if args.reload:
        # The reloader re-imports the app in a child process, so it needs the import string.
        uvicorn.run(args.app_module, reload=True, factory=factory, **options)
    elif workers > 1:
        # Each worker process imports the app itself (nothing is shared but the socket).
        uvicorn.run(args.app_module, workers=workers, factory=factory, **options)
    elif asgi:
        _run_uvicorn(app, options)
    else:
        uvicorn.run(app, **options)


def _run_uvicorn(app: Any, options: dict[str, Any]) -> None:
    """Serve an ASGI App in this process, telling it as soon as the shutdown begins.

    uvicorn (0.30 to at least 0.55) sends no ``http.disconnect`` to open responses when it shuts
    down and sends the lifespan ``shutdown`` event only after its graceful timeout, so an App
    would hear of the shutdown too late: its event streams would run until uvicorn cancels them
    and clients would see them cut. This server stops accepting connections and then calls
    :meth:`lanner.asgi.App.begin_shutdown`, so event streams end at once with a proper end of
    body while ordinary requests complete and uvicorn closes the WebSockets (1012).
    """
    import asyncio
    import socket

    import uvicorn

    class _Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # Listeners first (uvicorn closes them again, harmlessly): a client told to
            # reconnect must not land on this process.
            listeners: list[asyncio.base_events.Server] = self.servers
            for listener in listeners:
                listener.close()
            app.begin_shutdown()
            await super().shutdown(sockets)

    server = _Server(uvicorn.Config(app, **options))
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    if not server.started:
        # As uvicorn.run: the startup failed (uvicorn has logged why).
        raise SystemExit(3)


def _serve_wsgiref(app: Any, host: str, port: int) -> None:
    from wsgiref.simple_server import make_server

    print(
        f'uvicorn is not installed ({_SERVER_HINT}); serving with wsgiref, which handles one '
        f'request at a time and is meant for development only.\n'
        f'Listening on http://{host}:{port} (press CTRL+C to quit)',
        flush=True,
    )
    with make_server(host, port, app) as server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == '__main__':  # pragma: no cover
    main()
