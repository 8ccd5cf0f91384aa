"""Fail when a distribution has unreleased changes and no changelog fragment (stdlib only).

A distribution needs at least one fragment in its fragment folder (``packages/sse/changes/``,
``changes/`` for the meta-package) when either

* its sources changed since its last release (dists.last_release: the newest commit that changed
  its version), counting the working tree and untracked files; a pyproject.toml counts only when
  one of its packaging tables changed (dists.PACKAGING_TABLES); or
* its current version has no section in its CHANGELOG.md yet (it has never been released).

Every file in a fragment folder must be named like a towncrier fragment, so that a typo in a type
never hides a release note. Usage: ``scripts/check-changelog [DIST ...]`` (default: all).
"""

from __future__ import annotations

import argparse
import os
import re
import sys

import dists
from dists import Dist


def fragments(dist: Dist) -> tuple[list[str], list[str]]:
    """(fragments, misnamed files) in *dist*'s fragment folder."""
    folder = dists.ROOT / dist.fragment_dir
    if not folder.is_dir():
        return [], []
    types = '|'.join(re.escape(t) for t in dist.fragment_types())
    # <issue>.<type>[.<n>].md, or +<anything>.<type>[.<n>].md for a change without an issue.
    pattern = re.compile(rf'(\d+|\+[\w.-]+?)\.({types})(\.\d+)?\.md')
    good, bad = [], []
    for path in sorted(folder.iterdir()):
        if path.name.lower() in dists.NOT_FRAGMENTS:
            continue
        (good if path.is_file() and pattern.fullmatch(path.name) else bad).append(path.name)
    return good, bad


def changed_sources(dist: Dist, since: str) -> list[str]:
    """Source files of *dist* that differ from commit *since* (working tree included)."""
    specs = dist.source_pathspecs()
    changed = set(dists.git('diff', '--name-only', since, '--', *specs).split())
    changed |= set(dists.git('ls-files', '--others', '--exclude-standard', '--', *specs).split())
    if dist.pyproject in changed:
        old = dists.git('show', f'{since}:{dist.pyproject}', check=False)
        new = (dists.ROOT / dist.pyproject).read_text(encoding='utf-8')
        if old and dists.packaging_tables(old) == dists.packaging_tables(new):
            changed.discard(dist.pyproject)
    return sorted(changed)


def ensure_history() -> None:
    """Fetch the full history of a shallow clone (CI clones may be shallow).

    If the fetch is impossible (no remote, offline, LANNER_NO_UNSHALLOW set), nothing is guessed:
    dists.last_release raises ReleaseHistoryError for a distribution whose last release lies
    beyond the cut-off, and the check fails with instructions.
    """
    if not dists.is_shallow() or os.environ.get('LANNER_NO_UNSHALLOW'):
        return
    print('shallow clone: fetching the full history to find each last release')
    dists.git('fetch', '--unshallow', '--quiet', check=False)


def check(dist: Dist) -> list[str]:
    """Problems that block *dist*; empty when it is fine."""
    good, bad = fragments(dist)
    problems = [
        f'{dist.fragment_dir}/{name}: not a fragment name; expected <issue>.<type>.md or '
        f'+<slug>.<type>.md with <type> one of {", ".join(dist.fragment_types())}'
        for name in bad
    ]
    if good:
        return problems
    version = dist.version()
    release = dists.last_release(dist)
    if release is None or version not in dists.released_versions(dist):
        why = f'{version} has never been released (no section in {dist.changelog})'
    else:
        changed = changed_sources(dist, release)
        if not changed:
            return problems
        shown = ', '.join(changed[:5]) + (' ...' if len(changed) > 5 else '')
        why = f'sources changed since its last release {version} (commit {release[:10]}): {shown}'
    problems.append(
        f'{dist.name}: {why}; add a fragment to {dist.fragment_dir}/ '
        f'(e.g. {dist.fragment_dir}/+short-name.feature.md, see docs/packaging.md)'
    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('dists', nargs='*', help='distribution names (default: all)')
    args = parser.parse_args(argv)
    ensure_history()
    selected = [dists.find(name) for name in args.dists] if args.dists else dists.discover()
    failed = False
    for dist in selected:
        try:
            problems = check(dist)
        except dists.ReleaseHistoryError as exc:
            problems = [str(exc)]
        count = len(fragments(dist)[0])
        print(
            f'{dist.name:18} {dist.version():8} {count} fragment(s)', 'FAIL' if problems else 'ok'
        )
        for problem in problems:
            print(f'  {problem}')
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
