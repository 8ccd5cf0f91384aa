"""Context, ETag and CaseInsensitiveDict."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import pytest

import lanner
from lanner.util.structures import CaseInsensitiveDict, Context, ETag


def test_exported_from_lanner() -> None:
    assert lanner.Context is Context
    assert lanner.ETag is ETag
    assert lanner.CaseInsensitiveDict is CaseInsensitiveDict


# Context ---------------------------------------------------------------------------------------


def test_context_attribute_and_item_access_are_interchangeable() -> None:
    ctx = Context()
    ctx.user = 'ann'
    assert ctx['user'] == 'ann'
    ctx['role'] = 'admin'
    assert ctx.role == 'admin'
    assert 'role' in ctx and 'missing' not in ctx
    del ctx['role']
    assert not hasattr(ctx, 'role')
    del ctx.user
    assert len(ctx) == 0
    with pytest.raises(KeyError):
        ctx['missing']
    with pytest.raises(AttributeError):
        ctx.missing  # noqa: B018


def test_context_mapping_methods() -> None:
    ctx = Context()
    ctx.update({'a': 1, 'b': 2})
    ctx.update([('c', 3)])
    assert len(ctx) == 3
    assert list(ctx) == ['a', 'b', 'c']
    assert list(ctx.keys()) == ['a', 'b', 'c']
    assert list(ctx.values()) == [1, 2, 3]
    assert list(ctx.items()) == [('a', 1), ('b', 2), ('c', 3)]
    assert ctx.get('a') == 1 and ctx.get('zz') is None and ctx.get('zz', 5) == 5
    assert ctx.setdefault('a', 100) == 1
    assert ctx.setdefault('d', 4) == 4 and ctx.d == 4
    assert ctx.pop('d') == 4
    assert ctx.pop('d', 'gone') == 'gone'
    # A missing key gives None (Falcon's Context), not a KeyError.
    assert ctx.pop('d') is None
    assert ctx.popitem() == ('c', 3)
    ctx.clear()
    assert len(ctx) == 0


def test_context_copy_equality_and_repr() -> None:
    class Sub(Context):
        pass

    ctx = Sub()
    ctx.a = [1]
    dup = ctx.copy()
    assert type(dup) is Sub
    assert dup == ctx and dup is not ctx
    assert dup.a is ctx.a  # shallow
    assert ctx == {'a': [1]}
    assert ctx != {'a': [2]}
    assert not (ctx != {'a': [1]})
    assert Context() == Context()
    assert (Context() == 5) is False
    assert repr(ctx) == "Sub({'a': [1]})"
    plain = Context()
    plain.x = 1
    assert repr(plain) == "Context({'x': 1})"
    assert str(plain) == repr(plain)


def test_context_is_unhashable() -> None:
    with pytest.raises(TypeError):
        hash(Context())


# ETag ------------------------------------------------------------------------------------------


def test_etag_is_a_str_with_weak_flag() -> None:
    tag = ETag('abc')
    assert isinstance(tag, str)
    assert tag == 'abc'
    assert tag.is_weak is False
    assert tag.dumps() == '"abc"'
    tag.is_weak = True
    assert tag.dumps() == 'W/"abc"'


@pytest.mark.parametrize(
    ('raw', 'value', 'weak'),
    [
        ('"abc"', 'abc', False),
        ('W/"abc"', 'abc', True),
        ('w/"abc"', 'abc', True),
        ('abc', 'abc', False),
        ('W/abc', 'abc', True),
        ('""', '', False),
        ('"', '"', False),
    ],
)
def test_etag_loads(raw: str, value: str, weak: bool) -> None:
    tag = ETag.loads(raw)
    assert type(tag) is ETag
    assert tag == value
    assert tag.is_weak is weak


def test_etag_comparisons() -> None:
    strong = ETag.loads('"v1"')
    weak = ETag.loads('W/"v1"')
    other = ETag.loads('"v2"')
    # == is the weak comparison.
    assert strong == weak
    assert strong.strong_compare(ETag.loads('"v1"'))
    assert not strong.strong_compare(weak)
    assert not weak.strong_compare(strong)
    assert not strong.strong_compare(other)


def test_etag_round_trip() -> None:
    for raw in ('"x"', 'W/"x"'):
        assert ETag.loads(raw).dumps() == raw


# CaseInsensitiveDict ---------------------------------------------------------------------------


def test_case_insensitive_lookups_remember_last_case() -> None:
    headers = CaseInsensitiveDict({'Content-Type': 'text/plain'})
    assert headers['content-type'] == 'text/plain'
    assert 'CONTENT-TYPE' in headers
    assert 1 not in headers
    headers['CONTENT-type'] = 'application/json'
    assert list(headers) == ['CONTENT-type']
    assert len(headers) == 1
    del headers['Content-Type']
    assert len(headers) == 0
    with pytest.raises(KeyError):
        headers['x']


def test_case_insensitive_constructor_forms() -> None:
    assert dict(CaseInsensitiveDict()) == {}
    assert dict(CaseInsensitiveDict([('A', 1)], b=2)) == {'A': 1, 'b': 2}
    assert isinstance(CaseInsensitiveDict(), MutableMapping)


def test_case_insensitive_lower_items_copy_eq_repr() -> None:
    headers = CaseInsensitiveDict({'X-One': '1', 'x-Two': '2'})
    assert list(headers.lower_items()) == [('x-one', '1'), ('x-two', '2')]
    dup = headers.copy()
    assert dup == headers and dup is not headers
    dup['X-THREE'] = '3'
    assert 'x-three' not in headers
    assert headers == {'x-one': '1', 'X-TWO': '2'}
    assert headers != {'x-one': '1'}
    assert (headers == ['x-one']) is False
    assert repr(headers) == "CaseInsensitiveDict({'X-One': '1', 'x-Two': '2'})"
    assert headers.get('X-ONE') == '1'
    assert isinstance(headers, Mapping)
