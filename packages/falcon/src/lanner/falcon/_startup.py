"""Run at interpreter start by ``lanner-falcon.pth``: installs the ``falcon`` alias.

Kept apart from the package ``__init__`` so that importing ``lanner.falcon`` for its API never
has the side effect of installing the alias.
"""

from lanner.falcon import install

install()
