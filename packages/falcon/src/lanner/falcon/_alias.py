"""The import hook that makes ``falcon`` and every ``falcon.X`` resolve to lanner.

Invariants:
- ``falcon.X`` (any depth) is the very module object ``lanner.X``: one module, two names, so an
  add-on that monkeypatches ``falcon.app_helpers.prepare_middleware`` patches what lanner calls.
- ``falcon`` itself is a separate, thin module: it reports the Falcon API version lanner
  implements (``__version__``) while ``lanner.__version__`` stays lanner's own. Every other
  attribute is looked up on ``lanner`` at access time, so lanner's lazy names keep working.
- ``falcon.version`` is likewise separate, for the same reason.
- Nothing of lanner is imported until ``falcon`` is first imported.
- ``importlib.metadata`` lookups *by name* for ``falcon`` find a stand-in distribution (version
  ``FALCON_API_VERSION``, no files) only while no real ``falcon`` distribution is installed;
  listings of all distributions never include it, so installers never see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import types
from typing import TYPE_CHECKING, Any
import warnings

from lanner.version import FALCON_API_VERSION

if TYPE_CHECKING:
    from importlib.metadata import Distribution, DistributionFinder

__all__ = (
    'FALCON_API_VERSION',
    'DISABLE_VARIABLE',
    'FalconAliasFinder',
    'FalconShadowedWarning',
    'install',
    'uninstall',
    'is_enabled',
)


DISABLE_VARIABLE = 'LANNER_FALCON'
"""Set to ``0``, ``off``, ``false`` or ``no`` to leave ``import falcon`` alone."""

_OFF_VALUES = frozenset({'0', 'off', 'false', 'no'})


class FalconShadowedWarning(UserWarning):
    """The real ``falcon`` distribution is installed, and lanner answers ``import falcon``."""


def is_enabled() -> bool:
    """Whether the environment allows the alias (see :data:`DISABLE_VARIABLE`)."""
    return os.environ.get(DISABLE_VARIABLE, '1').strip().lower() not in _OFF_VALUES


class FalconFacade(types.ModuleType):
    """The ``falcon`` module: Falcon's version, lanner's everything else."""

    def __getattr__(self, name: str) -> Any:
        lanner = sys.modules.get('lanner') or importlib.import_module('lanner')
        try:
            return getattr(lanner, name)
        except AttributeError:
            raise AttributeError(f"module 'falcon' has no attribute {name!r}") from None

    def __dir__(self) -> list[str]:
        lanner = importlib.import_module('lanner')
        return sorted(set(super().__dir__()) | set(dir(lanner)))


def _build_facade() -> types.ModuleType:
    lanner = importlib.import_module('lanner')
    facade = FalconFacade('falcon', lanner.__doc__)
    facade.__version__ = FALCON_API_VERSION  # type: ignore[attr-defined]
    facade.__file__ = lanner.__file__
    facade.__path__ = []  # a package, so that falcon.X goes through the finder
    facade.__all__ = tuple(getattr(lanner, '__all__', ()))  # type: ignore[attr-defined]
    return facade


def _build_version_module() -> types.ModuleType:
    module = types.ModuleType('falcon.version', 'The Falcon API version lanner implements.')
    module.__version__ = FALCON_API_VERSION  # type: ignore[attr-defined]
    return module


class _AliasLoader(importlib.abc.Loader):
    """Hands out an already-built module; executing it again would re-run lanner's code."""

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module
        self._own_spec = getattr(module, '__spec__', None)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self._module

    def exec_module(self, module: types.ModuleType) -> None:
        # The import system has just set ``module.__spec__`` to the ``falcon.X`` spec; lanner's
        # module keeps its own, so that reload(), pickling and runpy still see ``lanner.X``.
        if self._own_spec is not None:
            module.__spec__ = self._own_spec


_METADATA = (
    'Metadata-Version: 2.1\n'
    'Name: falcon\n'
    f'Version: {FALCON_API_VERSION}\n'
    'Summary: The Falcon API, provided by lanner through lanner-falcon (no files of its own)\n'
)


def _is_falcon(name: str | None) -> bool:
    return name is not None and re.sub(r'[-_.]+', '-', name).lower() == 'falcon'


def _stand_in_distribution() -> Distribution:
    # Imported here: this module runs at every interpreter start (the .pth file), and
    # importlib.metadata costs several milliseconds that most processes never need.
    from importlib.metadata import Distribution

    class FalconStandIn(Distribution):
        """``falcon``'s metadata while lanner answers ``import falcon`` (no RECORD, no files)."""

        def read_text(self, filename: str) -> str | None:
            return _METADATA if filename in ('METADATA', 'PKG-INFO') else None

        def locate_file(self, path: Any) -> Any:
            return None

    return FalconStandIn()


class FalconAliasFinder(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder that answers for ``falcon`` and ``falcon.*``."""

    def __init__(self) -> None:
        self._warned = False

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == 'falcon':
            self._warn_if_shadowing()
            module = _build_facade()
        elif fullname == 'falcon.version':
            module = _build_version_module()
        elif fullname.startswith('falcon.'):
            target_name = 'lanner.' + fullname[len('falcon.') :]
            try:
                module = importlib.import_module(target_name)
            except ModuleNotFoundError as exc:
                if exc.name != target_name:
                    raise
                return None  # falcon.X that lanner does not have: a normal ImportError follows
        else:
            return None
        is_package = hasattr(module, '__path__')
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(module), is_package=is_package)

    def find_distributions(
        self, context: DistributionFinder.Context | None = None
    ) -> Iterable[Any]:
        """Answer ``importlib.metadata.version('falcon')`` when no real falcon is installed.

        Add-ons check the distribution before they patch (OpenTelemetry's instrumentors refuse
        to run without it). Only a lookup by that exact name is answered, never a listing, and
        only when no other finder knows a real ``falcon`` distribution, whose metadata then wins.
        """
        if context is None or not _is_falcon(context.name):
            return ()
        for finder in sys.meta_path:
            if isinstance(finder, FalconAliasFinder):
                continue
            find = getattr(finder, 'find_distributions', None)
            if find is not None and next(iter(find(context)), None) is not None:
                return ()
        return (_stand_in_distribution(),)

    def _warn_if_shadowing(self) -> None:
        if self._warned:
            return
        self._warned = True
        for finder in sys.meta_path:
            if finder is self or isinstance(finder, FalconAliasFinder):
                continue
            find = getattr(finder, 'find_spec', None)
            real = find('falcon', None) if find is not None else None
            # A namespace package (origin None) is only a directory named falcon on sys.path,
            # such as a project's tests/falcon folder: no Falcon is being shadowed.
            if real is not None and real.origin is not None:
                warnings.warn(
                    f'lanner-falcon answers `import falcon` with lanner, although the falcon '
                    f'distribution is installed too ({real.origin}). To use the real Falcon, '
                    f'set {DISABLE_VARIABLE}=0 or uninstall lanner-falcon.',
                    FalconShadowedWarning,
                    stacklevel=4,
                )
                return


def install() -> FalconAliasFinder | None:
    """Put the alias in front of ``sys.meta_path`` (idempotent).

    Returns:
        The installed finder, or ``None`` when the environment switches the alias off.
    """
    for finder in sys.meta_path:
        if isinstance(finder, FalconAliasFinder):
            return finder
    if not is_enabled():
        return None
    finder = FalconAliasFinder()
    sys.meta_path.insert(0, finder)
    return finder


def uninstall() -> None:
    """Remove the alias and forget every ``falcon`` module imported through it."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, FalconAliasFinder)]
    for name in [n for n in sys.modules if n == 'falcon' or n.startswith('falcon.')]:
        del sys.modules[name]
