"""How much does ``router.find`` cost as an app grows from 10 to 1,000 resources?

    python bench/routing_scale.py                  # lanner only; needs nothing but lanner
    python bench/routing_scale.py --compare        # also Falcon, if bench/.venv-falcon exists
    bench/.venv-falcon/bin/python bench/routing_scale.py --router falcon

Each app has N resources, each registered under three templates that real APIs use:

    /api/v1/res<i>                              fully literal
    /api/v1/res<i>/{id}                         one plain field
    /api/v1/res<i>/{id}/items/{item_id:int}     a converter after a literal

Paths are looked up for the first and the last resource, so a router whose cost grows with the
number of sibling routes shows it in the 'last' columns. Only the router's public API is used
(``add_route`` and ``find``), so the same script measures Falcon's router.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import subprocess
import timeit
from typing import Any

SIZES = (10, 100, 1000)
KINDS = {
    'literal': '/api/v1/res{i}',
    'field': '/api/v1/res{i}/abc',
    'converter': '/api/v1/res{i}/abc/items/42',
}


class _Resource:
    def on_get(self, req: object, resp: object, **params: object) -> None:
        pass


def _router_class(name: str) -> Any:
    if name == 'falcon':
        from falcon.routing import CompiledRouter as FalconRouter  # type: ignore[import-not-found]

        return FalconRouter
    from lanner.routing import CompiledRouter

    return CompiledRouter


def build(router_class: Any, n: int) -> Any:
    router = router_class()
    for i in range(n):
        resource = _Resource()
        router.add_route(f'/api/v1/res{i}', resource)
        router.add_route(f'/api/v1/res{i}/{{id}}', resource)
        router.add_route(f'/api/v1/res{i}/{{id}}/items/{{item_id:int}}', resource)
    router.find('/')  # compile outside the timed region
    return router


def measure(router: Any, path: str, number: int, expect_match: bool = True) -> float:
    find = router.find
    assert (find(path) is not None) is expect_match, path
    best = min(timeit.repeat(lambda: find(path), number=number, repeat=5))
    return best / number * 1e9


def run(router_name: str, number: int) -> None:
    router_class = _router_class(router_name)
    print(f'{router_name}: router.find, ns per call (best of 5 runs of {number})')
    columns = [f'{kind}/{pos}' for kind in KINDS for pos in ('first', 'last')] + ['miss']
    print(f'{"resources":>9} ' + ' '.join(f'{c:>16}' for c in columns))
    for n in SIZES:
        router = build(router_class, n)
        cells = [
            measure(router, pattern.format(i=i), number)
            for pattern in KINDS.values()
            for i in (0, n - 1)
        ]
        cells.append(measure(router, '/api/v2/nothing/here', number, expect_match=False))
        print(f'{n:>9} ' + ' '.join(f'{c:>16.0f}' for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--router', choices=('lanner', 'falcon'), default='lanner')
    parser.add_argument('--number', type=int, default=50_000, help='calls per timing run')
    parser.add_argument('--compare', action='store_true', help='also run Falcon (bench venv)')
    args = parser.parse_args()

    run(args.router, args.number)
    if args.compare:
        python = Path(__file__).resolve().parent / '.venv-falcon' / 'bin' / 'python'
        if not python.exists():
            raise SystemExit('bench/.venv-falcon does not exist; run bench/run.py once first')
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
        print()
        subprocess.run(
            [str(python), __file__, '--router', 'falcon', '--number', str(args.number)],
            check=True,
            env=env,
        )


if __name__ == '__main__':
    main()
