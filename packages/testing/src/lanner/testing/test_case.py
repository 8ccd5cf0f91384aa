"""``TestCase``: ``unittest.TestCase`` with the ``simulate_*`` methods of ``TestClient``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
import unittest

from lanner.testing.client import TestClient

__all__ = ('TestCase',)


class TestCase(unittest.TestCase, TestClient):
    """A ``unittest`` test case that simulates requests to ``self.app``.

    ``self.app`` defaults to a fresh ``lanner.App()`` for every test, created on first use;
    assign your own app in ``setUp`` (after calling ``super().setUp()``), WSGI or ASGI::

        class MyTests(lanner.testing.TestCase):
            def setUp(self):
                super().setUp()
                self.app = myapp.create_app()

            def test_hello(self):
                self.assertEqual(self.simulate_get('/hello').status_code, 200)
    """

    # TestClient opts out of collection; test cases must be collected again.
    __test__ = True

    _app: Callable[..., Any] | None = None

    def setUp(self) -> None:
        super().setUp()
        # Not TestClient.__init__ via super(): that would re-run unittest's __init__.
        TestClient.__init__(self, None)  # type: ignore[arg-type]

    @property
    def app(self) -> Callable[..., Any]:
        """The app under test (a plain ``lanner.App()`` unless you assign one)."""
        if self._app is None:
            from lanner.app import App

            # Created lazily: lanner.App() needs lanner-routing for its default router, and a
            # test case that assigns its own app (or router) must not depend on it.
            self._app = App()
        return self._app

    @app.setter
    def app(self, value: Callable[..., Any] | None) -> None:
        self._app = value
