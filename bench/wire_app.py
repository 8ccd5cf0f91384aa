"""The over-the-wire benchmark app (served by uvicorn from bench/wire.py).

One ASGI app with the three wire scenarios, built from the same resources as the in-process
benchmark: ``GET /hello``, ``GET /api/v1/users/{user_id:int}/items/{item_id}`` among 50 routes,
and ``POST /echo`` with a 1 KiB JSON document. ``BENCH_FRAMEWORK`` picks lanner or falcon.
"""

from __future__ import annotations

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios

fw = importlib.import_module(os.environ.get('BENCH_FRAMEWORK', 'lanner'))
_resources = scenarios._resources(fw, True)

app = importlib.import_module(fw.__name__ + '.asgi').App()
app.add_route('/hello', _resources['Hello']())
app.add_route('/echo', _resources['Echo']())
for i in range(49):
    app.add_route(
        f'/api/v1/section{i}/users/{{user_id}}/things{i}/{{item_id}}', _resources['Item']()
    )
app.add_route('/api/v1/users/{user_id:int}/items/{item_id}', _resources['Item']())
