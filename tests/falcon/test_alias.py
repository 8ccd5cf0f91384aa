"""lanner-falcon itself: `import falcon` is lanner, everywhere in the process, and can be undone."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
from pathlib import Path
import subprocess
import sys
import textwrap

import pytest

import lanner
import lanner.falcon


def run_python(
    code: str,
    *,
    site: bool = True,
    extra_path: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object, which is returned.

    With ``site=False`` the interpreter sees only lanner's own source directories (and
    ``extra_path``), none of site-packages: the alias is then installed by the code itself, as the
    .pth file would, and no real falcon distribution is visible.
    """
    environment = {k: v for k, v in os.environ.items() if k != 'LANNER_FALCON'}
    environment.update(env or {})
    args = [sys.executable]
    code = textwrap.dedent(code)
    if not site:
        roots = [str(Path(p).parent) for p in lanner.__path__]
        environment['PYTHONPATH'] = os.pathsep.join((extra_path or []) + roots)
        args.append('-S')
        code = 'import lanner.falcon._startup\n' + code
    elif extra_path:
        environment['PYTHONPATH'] = os.pathsep.join(extra_path)
    out = subprocess.run(
        [*args, '-c', code],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_public_names_are_pinned() -> None:
    assert sorted(lanner.falcon.__all__) == sorted(
        (
            'ASGIRouteMiddleware',
            'DISABLE_VARIABLE',
            'FALCON_API_VERSION',
            'FalconAliasFinder',
            'FalconShadowedWarning',
            'RouteTemplate',
            '__version__',
            'install',
            'is_enabled',
            'uninstall',
        )
    )


def test_falcon_names_are_lanner_objects() -> None:
    import falcon

    assert falcon.App is lanner.App
    assert falcon.Request is lanner.Request
    assert falcon.HTTPNotFound is lanner.HTTPNotFound
    assert falcon.HTTP_200 == lanner.HTTP_200


def test_submodules_are_the_same_module_objects() -> None:
    import falcon.app_helpers
    import falcon.asgi
    import falcon.request

    import lanner.app_helpers
    import lanner.asgi
    import lanner.request

    assert falcon.asgi is lanner.asgi
    assert falcon.app_helpers is lanner.app_helpers
    assert falcon.request is lanner.request
    assert sys.modules['falcon.asgi'] is lanner.asgi


@pytest.mark.parametrize(
    ('submodule', 'member'), [('routing.compiled', 'lanner-routing'), ('testing', 'lanner-testing')]
)
def test_member_submodules_are_the_same_module_objects(submodule: str, member: str) -> None:
    lanner_module = pytest.importorskip(f'lanner.{submodule}', reason=f'{member} not installed')
    assert importlib.import_module(f'falcon.{submodule}') is lanner_module
    assert sys.modules[f'falcon.{submodule}'] is lanner_module


def test_versions() -> None:
    import falcon
    import falcon.version

    assert falcon.__version__ == '4.4.0'
    assert falcon.version.__version__ == '4.4.0'
    assert lanner.__version__ != '4.4.0'
    assert falcon.__version__ == lanner.falcon.FALCON_API_VERSION


def test_unknown_submodule_is_an_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        import falcon.no_such_module  # noqa: F401


def test_monkeypatching_falcon_changes_what_lanner_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip('lanner.routing', reason='an App without router= needs lanner-routing')
    import falcon.app_helpers

    seen: list[int] = []
    original = falcon.app_helpers.prepare_middleware

    def spy(middleware: list[object], *args: object, **kwargs: object) -> object:
        seen.append(len(middleware))
        return original(middleware, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(falcon.app_helpers, 'prepare_middleware', spy)
    lanner.App()
    lanner.asgi.App()
    assert seen == [0, 0]


def test_the_pth_file_installs_the_alias_at_startup() -> None:
    out = run_python("""
        import json, sys
        finders = [type(f).__name__ for f in sys.meta_path]
        import falcon, lanner
        print(json.dumps({'first': finders[0], 'same': falcon.App is lanner.App}))
    """)
    assert out == {'first': 'FalconAliasFinder', 'same': True}


@pytest.mark.parametrize('value', ['0', 'off', 'False', 'no'])
def test_switch_off_variable(value: str) -> None:
    out = run_python(
        """
        import json, sys
        finders = [type(f).__name__ for f in sys.meta_path]
        import lanner
        try:
            import falcon
            same = getattr(falcon, 'App', None) is lanner.App
        except ImportError:
            same = False
        print(json.dumps({'alias': 'FalconAliasFinder' in finders, 'lanner': same}))
    """,
        env={'LANNER_FALCON': value},
    )
    # The real falcon (a dependency of some add-ons) or nothing at all, never lanner.
    assert out == {'alias': False, 'lanner': False}


def test_no_warning_without_a_real_falcon() -> None:
    out = run_python(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            import falcon
        print(json.dumps([str(w.category.__name__) for w in caught]))
    """,
        site=False,
    )
    assert out == []


def test_a_directory_named_falcon_is_not_a_real_falcon(tmp_path: Path) -> None:
    # A folder without __init__.py on sys.path (tests/falcon with pythonpath = ["tests"]) would
    # be imported as a namespace package; it is nothing to warn about, and lanner still answers.
    (tmp_path / 'falcon').mkdir()
    out = run_python(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            import falcon, lanner
        print(json.dumps({
            'warnings': [w.category.__name__ for w in caught],
            'lanner': falcon.App is lanner.App,
        }))
    """,
        site=False,
        extra_path=[str(tmp_path)],
    )
    assert out == {'warnings': [], 'lanner': True}


def test_shadowing_a_real_falcon_warns_and_lanner_wins(tmp_path: Path) -> None:
    fake = tmp_path / 'falcon'
    fake.mkdir()
    (fake / '__init__.py').write_text("__version__ = '0.0.fake'\nFAKE = True\n")
    out = run_python(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            import falcon, lanner
        print(json.dumps({
            'warnings': [(w.category.__name__, str(w.message)) for w in caught],
            'lanner': falcon.App is lanner.App,
            'fake': hasattr(falcon, 'FAKE'),
        }))
    """,
        site=False,
        extra_path=[str(tmp_path)],
    )
    assert out['lanner'] is True and out['fake'] is False
    warnings = out['warnings']
    assert isinstance(warnings, list) and len(warnings) == 1
    category, message = warnings[0]
    assert category == 'FalconShadowedWarning'
    assert str(fake) in message and 'LANNER_FALCON=0' in message


def test_switched_off_the_real_falcon_answers(tmp_path: Path) -> None:
    (tmp_path / 'falcon').mkdir()
    (tmp_path / 'falcon' / '__init__.py').write_text("__version__ = '0.0.fake'\n")
    out = run_python(
        """
        import json, falcon
        print(json.dumps(falcon.__version__))
    """,
        site=False,
        extra_path=[str(tmp_path)],
        env={'LANNER_FALCON': '0'},
    )
    assert out == '0.0.fake'


def test_metadata_stand_in_when_no_real_falcon_is_installed() -> None:
    out = run_python(
        """
        import json, importlib.metadata as md
        dist = md.distribution('falcon')
        print(json.dumps({
            'version': md.version('falcon'),
            'also': md.version('Falcon'),
            'files': dist.files,
            'listed': [d.metadata['Name'] for d in md.distributions()
                       if (d.metadata['Name'] or '').lower() == 'falcon'],
        }))
    """,
        site=False,
    )
    assert out == {'version': '4.4.0', 'also': '4.4.0', 'files': None, 'listed': []}


def test_metadata_of_a_real_falcon_wins(tmp_path: Path) -> None:
    info = tmp_path / 'falcon-3.1.3.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text('Metadata-Version: 2.1\nName: falcon\nVersion: 3.1.3\n')
    out = run_python(
        """
        import json, importlib.metadata as md
        print(json.dumps(md.version('falcon')))
    """,
        site=False,
        extra_path=[str(tmp_path)],
    )
    assert out == '3.1.3'


def test_metadata_without_the_alias_knows_no_stand_in() -> None:
    out = run_python(
        """
        import json, importlib.metadata as md
        import lanner.falcon
        lanner.falcon.uninstall()
        try:
            md.version('falcon')
            found = True
        except md.PackageNotFoundError:
            found = False
        print(json.dumps(found))
    """,
        site=False,
    )
    assert out is False


def test_uninstall_forgets_the_alias() -> None:
    out = run_python(
        """
        import json, sys
        import falcon, lanner.falcon
        lanner.falcon.uninstall()
        gone = not any(n == 'falcon' or n.startswith('falcon.') for n in sys.modules)
        try:
            import falcon
            again = True
        except ImportError:
            again = False
        print(json.dumps({'gone': gone, 'again': again}))
    """,
        site=False,
    )
    assert out == {'gone': True, 'again': False}


def test_in_this_environment_metadata_answers() -> None:
    # Real falcon installed as an add-on dependency, or the stand-in: either way add-ons that
    # check the distribution (OpenTelemetry) find a Falcon 4.
    assert importlib.metadata.version('falcon').startswith('4.')
