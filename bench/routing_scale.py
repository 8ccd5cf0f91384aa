"""How much does ``router.find`` cost as an app grows from 10 to 1,000 resources?

    python bench/routing_scale.py                  # lanner only; needs nothing but lanner
    python bench/routing_scale.py --compare        # lanner and Falcon (bench/.venv-falcon)
    bench/.venv-falcon/bin/python bench/routing_scale.py --router falcon

Each app has N resources, each registered under three templates that real APIs use:

    /api/v1/res<i>                              fully literal
    /api/v1/res<i>/{id}                         one plain field
    /api/v1/res<i>/{id}/items/{item_id:int}     a converter after a literal

Paths are looked up for the first and the last resource, so a router whose cost grows with the
number of sibling routes shows it in the 'last' columns. Only the router's public API is used
(``add_route`` and ``find``), so the same script measures Falcon's router. With ``--compare``
the two routers run in separate interpreters, alternating for a few rounds; the best time per
cell is kept, which damps the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import subprocess
import sys
import timeit
from typing import Any

SIZES = (10, 100, 1000)
KINDS = {
    'literal': '/api/v1/res{i}',
    'field': '/api/v1/res{i}/abc',
    'converter': '/api/v1/res{i}/abc/items/42',
}
COLUMNS = [f'{kind}/{pos}' for kind in KINDS for pos in ('first', 'last')] + ['miss']


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


def run(router_name: str, number: int) -> dict[int, list[float]]:
    """ns per call for every size and column."""
    router_class = _router_class(router_name)
    table: dict[int, list[float]] = {}
    for n in SIZES:
        router = build(router_class, n)
        cells = [
            measure(router, pattern.format(i=i), number)
            for pattern in KINDS.values()
            for i in (0, n - 1)
        ]
        cells.append(measure(router, '/api/v2/nothing/here', number, expect_match=False))
        table[n] = cells
    return table


def show(title: str, table: dict[int, list[float]]) -> None:
    print(title)
    print(f'{"resources":>9} ' + ' '.join(f'{c:>16}' for c in COLUMNS))
    for n, cells in table.items():
        print(f'{n:>9} ' + ' '.join(f'{c:>16.0f}' for c in cells))


def _subprocess_run(python: str, router: str, number: int) -> dict[int, list[float]]:
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = subprocess.run(
        [python, __file__, '--router', router, '--number', str(number), '--json'],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return {int(n): cells for n, cells in json.loads(out.stdout).items()}


def compare(number: int, rounds: int) -> None:
    falcon_python = Path(__file__).resolve().parent / '.venv-falcon' / 'bin' / 'python'
    if not falcon_python.exists():
        raise SystemExit('bench/.venv-falcon does not exist; run bench/run.py once first')
    best: dict[str, dict[int, list[float]]] = {}
    for _ in range(rounds):
        for router, python in (('lanner', sys.executable), ('falcon', str(falcon_python))):
            table = _subprocess_run(python, router, number)
            kept = best.setdefault(router, table)
            for n, cells in table.items():
                kept[n] = [min(a, b) for a, b in zip(kept[n], cells, strict=True)]
    show(f'lanner: router.find, ns per call (best of {rounds} rounds)', best['lanner'])
    print()
    show(f'falcon: router.find, ns per call (best of {rounds} rounds)', best['falcon'])
    print()
    ratios = {
        n: [f / lanner for f, lanner in zip(best['falcon'][n], best['lanner'][n], strict=True)]
        for n in SIZES
    }
    print('falcon time / lanner time (above 1: lanner is faster)')
    print(f'{"resources":>9} ' + ' '.join(f'{c:>16}' for c in COLUMNS))
    for n, cells in ratios.items():
        print(f'{n:>9} ' + ' '.join(f'{c:>16.2f}' for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--router', choices=('lanner', 'falcon'), default='lanner')
    parser.add_argument('--number', type=int, default=20_000, help='calls per timing run')
    parser.add_argument('--compare', action='store_true', help='lanner vs Falcon (bench venv)')
    parser.add_argument('--rounds', type=int, default=3, help='alternating rounds for --compare')
    parser.add_argument('--json', action='store_true', help='print raw numbers as JSON')
    args = parser.parse_args()

    if args.compare:
        compare(args.number, args.rounds)
        return
    table = run(args.router, args.number)
    if args.json:
        print(json.dumps(table))
    else:
        show(f'{args.router}: router.find, ns per call (best of 5 runs of {args.number})', table)


if __name__ == '__main__':
    main()
