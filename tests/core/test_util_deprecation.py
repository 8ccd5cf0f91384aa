"""Deprecation helpers and TimezoneGMT."""

from __future__ import annotations

import datetime
import warnings

import pytest

import lanner
from lanner.util import deprecation
from lanner.util.deprecation import AttributeRemovedError, DeprecatedWarning
from lanner.util.time import TimezoneGMT


def test_warning_classes() -> None:
    assert issubclass(DeprecatedWarning, UserWarning)
    assert issubclass(AttributeRemovedError, AttributeError)
    assert lanner.deprecated is deprecation.deprecated


def test_deprecated_function() -> None:
    @deprecation.deprecated('Use new_thing() instead.')
    def old_thing(x: int) -> int:
        """Docs."""
        return x * 2

    with pytest.warns(DeprecatedWarning) as record:
        assert old_thing(2) == 4
    assert str(record[0].message) == (
        'Call to deprecated function old_thing(...). Use new_thing() instead.'
    )
    assert record[0].filename == __file__
    assert old_thing.__name__ == 'old_thing'
    assert old_thing.__doc__ == 'Docs.'


def test_deprecated_property_and_method_name() -> None:
    class Thing:
        @property
        @deprecation.deprecated('Use .size.', is_property=True)
        def length(self) -> int:
            return 3

        @deprecation.deprecated('Use go().', method_name='Thing.run')
        def run(self) -> str:
            return 'ran'

    with pytest.warns(
        DeprecatedWarning, match=r'^Call to deprecated property length\. Use \.size\.$'
    ):
        assert Thing().length == 3
    with pytest.warns(
        DeprecatedWarning,
        match=r'^Call to deprecated function Thing\.run\(\.\.\.\)\. Use go\(\)\.$',
    ):
        assert Thing().run() == 'ran'


def test_deprecated_args_method() -> None:
    class Thing:
        @deprecation.deprecated_args(allowed_positional=1)
        def call(self, a: int, b: int = 0, c: int = 0) -> int:
            return a + b + c

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert Thing().call(1, b=2) == 3
    with pytest.warns(DeprecatedWarning, match='more than 1 positional argument'):
        assert Thing().call(1, 2, 3) == 6


def test_deprecated_args_function_with_no_positional_allowed() -> None:
    @deprecation.deprecated_args(allowed_positional=0, is_method=False)
    def func(a: int = 0) -> int:
        return a

    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert func(a=1) == 1
    with pytest.warns(DeprecatedWarning, match='positional arguments is deprecated'):
        assert func(5) == 5


def test_timezone_gmt() -> None:
    with pytest.warns(DeprecatedWarning):
        tz = TimezoneGMT()
    assert lanner.TimezoneGMT is TimezoneGMT
    now = datetime.datetime(2020, 1, 1, tzinfo=tz)
    assert tz.utcoffset(now) == datetime.timedelta(0)
    assert tz.dst(now) == datetime.timedelta(0)
    assert tz.tzname(now) == 'GMT'
    assert now.utcoffset() == datetime.timedelta(0)
