"""Profile one scenario of the in-process benchmark (lanner only).

    python bench/profile_scenario.py SCENARIO [--asgi] [--n 20000] [--tool cprofile|pyinstrument]

cProfile (standard library) prints the functions sorted by their own time; pyinstrument (when
installed: ``pip install pyinstrument``) prints a call tree. Use it before changing anything on
the hot path, and write the findings down in docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios
import worker


def _driver(app: Any, spec: dict[str, Any], asgi: bool, n: int) -> Any:
    if asgi:
        scope = worker._scope(spec)
        event = {'type': 'http.request', 'body': spec.get('body', b''), 'more_body': False}

        async def receive() -> dict[str, Any]:
            return event

        async def send(message: dict[str, Any]) -> None:
            pass

        loop = asyncio.new_event_loop()

        async def batch() -> None:
            for _ in range(n):
                await app(dict(scope), receive, send)

        return lambda: loop.run_until_complete(batch())

    env = worker._environ(spec)
    body = spec.get('body', b'')

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        pass

    def run() -> None:
        for _ in range(n):
            env['wsgi.input'] = io.BytesIO(body)
            result = app(env, start_response)
            for _chunk in result:
                pass
            close = getattr(result, 'close', None)
            if close is not None:
                close()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('scenario')
    parser.add_argument('--asgi', action='store_true')
    parser.add_argument('--n', type=int, default=20000)
    parser.add_argument('--tool', default='cprofile', choices=('cprofile', 'pyinstrument'))
    parser.add_argument('--limit', type=int, default=30)
    args = parser.parse_args()

    import lanner

    app, spec = scenarios.build(lanner, args.asgi)[args.scenario]
    run = _driver(app, spec, args.asgi, args.n)
    _driver(app, spec, args.asgi, 200)()  # warm up
    if args.tool == 'pyinstrument':
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0001)
        profiler.start()
        run()
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        return
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats('tottime').print_stats(args.limit)
    print(out.getvalue())


if __name__ == '__main__':
    main()
