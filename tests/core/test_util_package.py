"""lanner.util as a package: lazy names, __all__, and import cost."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import lanner.util


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, '-c', textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_all_is_pinned() -> None:
    assert set(lanner.util.__all__) == {
        'AttributeRemovedError',
        'BufferedReader',
        'CaseInsensitiveDict',
        'Context',
        'DeprecatedWarning',
        'ETag',
        'TimezoneGMT',
        'async_to_sync',
        'code_to_http_status',
        'create_task',
        'deprecated',
        'deprecated_args',
        'dt_to_http',
        'get_argnames',
        'get_bound_method',
        'get_running_loop',
        'http_date_to_dt',
        'http_now',
        'http_status_to_code',
        'is_python_func',
        'parse_header',
        'runs_sync',
        'secure_filename',
        'sync_to_async',
        'to_query_str',
        'wrap_sync_to_async',
        'wrap_sync_to_async_unsafe',
    }


@pytest.mark.parametrize('name', sorted(lanner.util.__all__))
def test_every_name_resolves(name: str) -> None:
    assert getattr(lanner.util, name) is not None
    assert name in dir(lanner.util)


def test_submodules_resolve_as_attributes() -> None:
    for name in (
        'deprecation',
        'mediatypes',
        'misc',
        'reader',
        'structures',
        'sync',
        'time',
        'uri',
    ):
        module = getattr(lanner.util, name)
        assert module.__name__ == f'lanner.util.{name}'


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match='no attribute'):
        lanner.util.nope  # type: ignore[attr-defined]  # noqa: B018


def test_importing_util_modules_does_not_import_asyncio() -> None:
    out = _run(
        """
        import sys
        preloaded = set(sys.modules)  # site hooks (.pth files) of the environment may load some
        import lanner.util, lanner.util.misc, lanner.util.structures, lanner.util.uri
        import lanner.util.mediatypes, lanner.util.time, lanner.util.deprecation
        import lanner.errors, lanner.http_error, lanner.http_status, lanner.redirects
        import lanner.uri, lanner.forwarded, lanner.asgi_spec, lanner._app.error_serializer
        from lanner.util import Context, http_now, CaseInsensitiveDict
        added = set(sys.modules) - preloaded
        print(sorted(m for m in ('asyncio', 'inspect', 'http.cookiejar', 'importlib.metadata')
                     if m in added))
        """
    )
    assert out == '[]'


def test_touching_a_sync_adapter_imports_asyncio_lazily() -> None:
    out = _run(
        """
        import sys
        import lanner.util
        before = 'asyncio' in sys.modules
        lanner.util.async_to_sync
        print(before, 'asyncio' in sys.modules)
        """
    )
    assert out == 'False True'
