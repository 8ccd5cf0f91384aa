"""Fetching Falcon's test suite: the pinned sdist, cached and checked, unpacked to a temp folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tarfile

FALCON_VERSION = '4.4.0'
SDIST_SHA256 = '9f3ffbddc8baed4573295642eddb18a37eea37baba9f20c5be379c8b3d3d79e6'
SDIST_NAME = f'falcon-{FALCON_VERSION}.tar.gz'

# What the suite needs from the sdist: its tests, the examples some tests load, and the pytest
# configuration (markers, warning filters) in pyproject.toml, and two files a static-route test
# serves (LICENSE, README.rst). Falcon's own package is never
# unpacked, so `import falcon` can only find what the runner provides.
_MEMBERS = ('tests/', 'examples/', 'pyproject.toml', 'LICENSE', 'README.rst')


def cache_dir() -> Path:
    base = os.environ.get('XDG_CACHE_HOME') or str(Path.home() / '.cache')
    path = Path(base) / 'lanner' / 'conformance'
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open('rb') as f:
        for block in iter(lambda: f.read(1 << 16), b''):
            digest.update(block)
    return digest.hexdigest()


def fetch_sdist() -> Path:
    """The verified sdist from the cache, downloaded with pip on first use."""
    cached = cache_dir() / SDIST_NAME
    if cached.exists() and _sha256(cached) == SDIST_SHA256:
        return cached
    download = cache_dir() / 'download'
    shutil.rmtree(download, ignore_errors=True)
    subprocess.run(
        [
            sys.executable, '-m', 'pip', 'download', '--quiet', '--no-deps',
            '--no-binary', ':all:', f'falcon=={FALCON_VERSION}', '-d', str(download),
        ],
        check=True,
    )  # fmt: skip
    fetched = download / SDIST_NAME
    actual = _sha256(fetched)
    if actual != SDIST_SHA256:
        raise SystemExit(
            f'{SDIST_NAME} from the package index has sha256 {actual}, expected {SDIST_SHA256}; '
            'refusing to run a suite that is not the pinned one.'
        )
    fetched.replace(cached)
    shutil.rmtree(download, ignore_errors=True)
    return cached


def unpack(sdist: Path, into: Path) -> Path:
    """Unpack the suite's files into ``into``; returns the folder that holds ``tests/``."""
    prefix = f'falcon-{FALCON_VERSION}/'
    with tarfile.open(sdist) as archive:
        members = []
        for member in archive.getmembers():
            name = member.name.removeprefix(prefix)
            if member.name.startswith(prefix) and name.startswith(_MEMBERS):
                member.name = name
                members.append(member)
        archive.extractall(into, members=members, filter='data')
    return into
