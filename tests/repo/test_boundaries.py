"""The boundaries between and inside the distributions (architecture.md, sections 3-5; house
rules 1, 12 and 13), checked on the source tree with :mod:`ast`.

- A member imports only public core names: no module path with a ``_`` segment, no ``_name``.
- A member reads no ``_`` attribute of a core object (``app._x``, ``req._x``, ``resp._x``, or of
  anything it imported from core).
- Every public module (no ``_`` segment in its path) declares ``__all__``.
- A ``_name`` is local: no module imports one from another module (nor reads it as
  ``module._name``), except between modules of one private subpackage. Falcon's own private names
  that lanner provides for conformance (``util.misc._utcnow``, ...) are only *defined* here.

Each check reports every offence with its file and line, so a failure says where to look.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
import re

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ROOT / 'packages'
MEMBERS = ('routing', 'websocket', 'sse', 'testing', 'channels', 'falcon')

# Names a member's code conventionally binds to core's App, Request and Response objects, and
# names core binds to the objects members provide (a router, a WebSocket connection).
CORE_OBJECT_NAMES = frozenset({'app', 'req', 'resp', 'request', 'response'})
MEMBER_OBJECT_NAMES = frozenset({'router', 'ws', 'web_socket'})


def _is_private(name: str) -> bool:
    return name.startswith('_') and not name.startswith('__')


@dataclass(frozen=True)
class Module:
    """One source file of a distribution under ``packages/<dist>/src``."""

    dist: str
    path: Path
    name: str  # dotted, e.g. 'lanner._sse.asgi_pump'
    is_package: bool
    shown: str  # the path as reported, relative to the repository

    @property
    def package(self) -> str:
        """The package relative imports resolve against."""
        return self.name if self.is_package else self.name.rpartition('.')[0]

    def tree(self) -> ast.Module:
        return ast.parse(self.path.read_text(encoding='utf-8'), filename=str(self.path))

    def where(self, node: ast.AST) -> str:
        return f'{self.shown}:{getattr(node, "lineno", 0)}'


def _modules(root: Path = PACKAGES) -> list[Module]:
    found = []
    for path in sorted(root.glob('*/src/lanner/**/*.py')):
        src = path.parents[len(path.relative_to(root).parts) - 3]  # packages/<dist>/src
        parts = list(path.relative_to(src).with_suffix('').parts)
        is_package = parts[-1] == '__init__'
        if is_package:
            parts.pop()
        shown = str(path.relative_to(root.parent))
        found.append(Module(src.parent.name, path, '.'.join(parts), is_package, shown))
    return found


MODULES = _modules()
MODULE_NAMES = frozenset(m.name for m in MODULES)


def _is_core(dotted: str) -> bool:
    parts = dotted.split('.')
    return parts[0] == 'lanner' and (len(parts) == 1 or parts[1] not in MEMBERS)


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ''
    base = module.package.split('.')
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return '.'.join(base + ([node.module] if node.module else []))


@dataclass(frozen=True)
class Imported:
    """One name bound by an import: ``local`` refers to ``source`` (a module) or to
    ``source.attr``."""

    node: ast.AST
    local: str
    source: str
    attr: str | None

    @property
    def target(self) -> str:
        return f'{self.source}.{self.attr}' if self.attr else self.source

    @property
    def is_module(self) -> bool:
        return self.attr is None or self.target in MODULE_NAMES


def _imports(module: Module, tree: ast.Module) -> Iterator[Imported]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.partition('.')[0]
                yield Imported(node, local, alias.name if alias.asname else local, None)
                if not alias.asname and alias.name != local:
                    # ``import a.b.c`` also loads a.b.c; record the full path for the checks.
                    yield Imported(node, '', alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, node)
            for alias in node.names:
                yield Imported(node, alias.asname or alias.name, source, alias.name)


def _private_subpackage(dotted: str, *, is_package: bool = True) -> str | None:
    """The outermost private package that holds ``dotted`` (or is ``dotted``), if any."""
    parts = dotted.split('.')
    for i, part in enumerate(parts if is_package else parts[:-1]):
        if _is_private(part):
            return '.'.join(parts[: i + 1])
    return None


# -- the checks, written as functions over modules so that the tests below can plant offences --


def member_private_imports(module: Module, tree: ast.Module) -> list[str]:
    """A member's imports of core module paths with a ``_`` segment or of ``_`` names."""
    problems = []
    for imp in _imports(module, tree):
        if not _is_core(imp.target):
            continue
        if any(_is_private(part) for part in imp.target.split('.')):
            problems.append(f'{module.where(imp.node)}: imports {imp.target} from lanner-core')
    return problems


def _dist_of(dotted: str) -> str:
    parts = dotted.split('.')
    return parts[1] if len(parts) > 1 and parts[1] in MEMBERS else 'core'


def foreign_private_attributes(module: Module, tree: ast.Module) -> list[str]:
    """``x._name`` where ``x`` comes from another distribution: in a member, a core object or
    anything imported from core; in core, a router or connection or anything imported from a
    member."""
    foreign = {
        imp.local
        for imp in _imports(module, tree)
        if imp.local and imp.target.startswith('lanner') and _dist_of(imp.target) != module.dist
    }
    conventional = CORE_OBJECT_NAMES if module.dist != 'core' else MEMBER_OBJECT_NAMES
    problems = []
    for node in ast.walk(tree):
        attr: str | None = None
        if isinstance(node, ast.Attribute):
            base, attr = node.value, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ('getattr', 'setattr', 'hasattr', 'delattr')
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            base, attr = node.args[0], node.args[1].value
        if attr is None or not _is_private(attr):
            continue
        if isinstance(base, ast.Name):
            owner = base.id
        elif isinstance(base, ast.Attribute):
            owner = base.attr
        else:
            continue
        if owner in foreign or owner.lstrip('_') in conventional:
            problems.append(
                f'{module.where(node)}: reads {ast.unparse(base)}.{attr} across distributions'
            )
    return problems


def private_names_imported(module: Module, tree: ast.Module) -> list[str]:
    """``from m import _name`` or ``m._name`` (``m`` an imported lanner module) across modules,
    unless both modules lie in one private subpackage."""
    problems = []
    here = _private_subpackage(module.name, is_package=module.is_package)

    def check(node: ast.AST, source: str, attr: str) -> None:
        if not _is_private(attr) or f'{source}.{attr}' in MODULE_NAMES:
            return  # a public name, or a private *module* (a module path, checked elsewhere)
        if here is not None and _private_subpackage(source) == here:
            return
        problems.append(f'{module.where(node)}: takes {attr} from {source}')

    modules_bound = {}
    for imp in _imports(module, tree):
        if not imp.target.startswith('lanner'):
            continue
        if imp.attr is not None:
            check(imp.node, imp.source, imp.attr)
        if imp.local and imp.is_module:
            modules_bound[imp.local] = imp.target
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules_bound
        ):
            check(node, modules_bound[node.value.id], node.attr)
    return problems


def missing_all(module: Module, tree: ast.Module) -> list[str]:
    """A public module (no ``_`` segment in its dotted name) without a module-level ``__all__``."""
    if any(_is_private(part) for part in module.name.split('.')):
        return []
    for node in tree.body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == '__all__' for t in targets):
            return []
    return [f'{module.shown}: public module {module.name} has no __all__']


def _run(check, modules):  # type: ignore[no-untyped-def]
    problems = []
    for module in modules:
        problems.extend(check(module, module.tree()))
    return problems


MEMBER_MODULES = [m for m in MODULES if m.dist != 'core']


# -- the tests ----------------------------------------------------------------------------------


def test_the_tree_is_found() -> None:
    assert {m.dist for m in MODULES} == {'core', *MEMBERS}
    assert 'lanner.asgi.app' in MODULE_NAMES and 'lanner.routing.compiled' in MODULE_NAMES


def test_members_import_only_public_core_names() -> None:
    assert _run(member_private_imports, MEMBER_MODULES) == []


def test_no_private_attribute_is_read_across_distributions() -> None:
    assert _run(foreign_private_attributes, MODULES) == []


def test_every_public_module_has_all() -> None:
    assert _run(missing_all, MODULES) == []


def test_no_private_name_is_imported_from_another_module() -> None:
    assert _run(private_names_imported, MODULES) == []


# -- the checks can fail: each is shown an offence planted in a throwaway tree ------------------


def _planted(tmp_path: Path, dist: str, rel: str, source: str) -> list[Module]:
    pkg = 'lanner' if dist == 'core' else f'lanner/{dist}'
    path = tmp_path / dist / 'src' / pkg / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding='utf-8')
    return [m for m in _modules(tmp_path) if m.path == path]


@pytest.mark.parametrize(
    ('check', 'dist', 'rel', 'source'),
    [
        (member_private_imports, 'sse', 'x.py', 'from lanner._sse.asgi_pump import respond\n'),
        (member_private_imports, 'sse', 'x.py', 'import lanner._request.memo\n'),
        (member_private_imports, 'sse', 'x.py', 'from lanner.util.structures import _hidden\n'),
        (foreign_private_attributes, 'websocket', 'x.py', 'def f(app):\n    return app._router\n'),
        (foreign_private_attributes, 'sse', 'x.py', 'def f(req):\n    return getattr(req, "_x")\n'),
        (foreign_private_attributes, 'sse', 'x.py', 'from lanner import App\nApp._ASGI\n'),
        (foreign_private_attributes, 'core', 'x.py', 'def f(router):\n    return router._roots\n'),
        (foreign_private_attributes, 'core', 'x.py', 'import lanner.sse as s\ns._event\n'),
        (missing_all, 'core', 'plain.py', 'x = 1\n'),
        (missing_all, 'routing', 'plain.py', '"""Doc."""\n'),
        (private_names_imported, 'core', 'a.py', 'from lanner.b import _shared\n'),
        (private_names_imported, 'core', 'a/_b.py', 'from . import _shared\n'),
        (private_names_imported, 'core', '_a/b.py', 'from lanner._c.d import _shared\n'),
        (private_names_imported, 'core', 'a.py', 'import lanner.b as b\nb._shared\n'),
        (private_names_imported, 'core', 'a.py', 'from lanner.util import misc\nmisc._utcnow()\n'),
        (private_names_imported, 'sse', 'x.py', 'from lanner.sse._event import _check\n'),
    ],
)
def test_each_check_catches_a_planted_offence(check, dist, rel, source, tmp_path) -> None:  # type: ignore[no-untyped-def]
    modules = _planted(tmp_path, dist, rel, source)
    assert modules, 'the planted module was not found'
    assert len(_run(check, modules)) == 1


@pytest.mark.parametrize(
    ('check', 'dist', 'rel', 'source'),
    [
        (member_private_imports, 'sse', 'x.py', 'from lanner.sse._event import _check\n'),
        (foreign_private_attributes, 'sse', 'x.py', 'def f(req):\n    return req.__class__\n'),
        (foreign_private_attributes, 'core', 'x.py', 'def f(app):\n    return app._router\n'),
        (missing_all, 'core', '_private.py', 'x = 1\n'),
        (missing_all, 'core', 'plain.py', '__all__ = ()\n'),
        (private_names_imported, 'core', '_a/b.py', 'from lanner._a.c import _shared\n'),
        (private_names_imported, 'core', '_a/b.py', 'from . import _shared\n'),
        (private_names_imported, 'core', 'a.py', '_local = 1\nprint(_local)\n'),
        (private_names_imported, 'core', 'a.py', 'from http.cookies import _quote\n'),
    ],
)
def test_each_check_allows_what_the_rules_allow(check, dist, rel, source, tmp_path) -> None:  # type: ignore[no-untyped-def]
    modules = _planted(tmp_path, dist, rel, source)
    assert _run(check, modules) == []


# -- names say what a thing does, never where it came from (architecture.md, section 5) --------

PROCESS_WORDS = re.compile(r"commission|\bthe page'?s?\b|\bPage[A-Z]\w*", re.IGNORECASE)


def process_words(module: Module, tree: ast.Module) -> list[str]:
    """Lines of product code that speak of how lanner was commissioned rather than what it does."""
    lines = module.path.read_text(encoding='utf-8').splitlines()
    return [
        f'{module.shown}:{n}: {line.strip()}'
        for n, line in enumerate(lines, 1)
        if PROCESS_WORDS.search(line)
    ]


def test_product_code_names_things_by_what_they_do() -> None:
    assert _run(process_words, MODULES) == []


@pytest.mark.parametrize(
    'source',
    ['"""The commissioning page\'s additions."""\n', 'class PageAdditions:\n    pass\n'],
)
def test_process_words_are_caught(source: str, tmp_path: Path) -> None:
    assert len(_run(process_words, _planted(tmp_path, 'websocket', 'x.py', source))) == 1


def test_ordinary_pages_are_not_process_words(tmp_path: Path) -> None:
    source = '# single-page apps; the static page cache\n'
    assert _run(process_words, _planted(tmp_path, 'core', 'x.py', source)) == []


# -- one ``asgi`` fixture (house rule 9): tests/conftest.py parametrises every flavour test ------


def asgi_fixture_copies(path: Path) -> list[str]:
    """Module-level ``asgi`` fixtures outside tests/conftest.py (a class may pin one flavour)."""
    tree = ast.parse(path.read_text(encoding='utf-8'))
    return [
        f'{path.name}:{node.lineno}: redefines the asgi fixture'
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name == 'asgi'
        and any('fixture' in ast.unparse(d) for d in node.decorator_list)
    ]


def test_one_asgi_fixture() -> None:
    tests = ROOT / 'tests'
    copies = [
        problem
        for path in sorted(tests.rglob('*.py'))
        if path != tests / 'conftest.py' and 'conformance' not in path.parts
        for problem in asgi_fixture_copies(path)
    ]
    assert copies == []
    assert len(asgi_fixture_copies(tests / 'conftest.py')) == 1


def test_a_copied_asgi_fixture_is_caught(tmp_path: Path) -> None:
    path = tmp_path / 'test_x.py'
    path.write_text(
        '@pytest.fixture(params=[False, True])\ndef asgi(request):\n    return request.param\n'
        'class TestOnlyASGI:\n    @pytest.fixture\n    def asgi(self):\n        return True\n',
        encoding='utf-8',
    )
    assert len(asgi_fixture_copies(path)) == 1
