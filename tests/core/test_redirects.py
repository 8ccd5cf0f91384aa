"""The five redirect classes."""

from __future__ import annotations

from typing import Any

import pytest

import lanner
from lanner import redirects

REDIRECTS = [
    (redirects.HTTPMovedPermanently, '301 Moved Permanently'),
    (redirects.HTTPFound, '302 Found'),
    (redirects.HTTPSeeOther, '303 See Other'),
    (redirects.HTTPTemporaryRedirect, '307 Temporary Redirect'),
    (redirects.HTTPPermanentRedirect, '308 Permanent Redirect'),
]

ids = [cls.__name__ for cls, _ in REDIRECTS]


@pytest.mark.parametrize(('cls', 'status'), REDIRECTS, ids=ids)
def test_status_and_location(cls: Any, status: str) -> None:
    redirect = cls('/new/place')
    assert isinstance(redirect, lanner.HTTPStatus)
    assert redirect.status == status
    assert redirect.status_code == int(status[:3])
    assert redirect.headers == {'location': '/new/place'}
    assert redirect.text is None
    assert getattr(lanner, cls.__name__) is cls


@pytest.mark.parametrize(('cls', 'status'), REDIRECTS, ids=ids)
def test_location_is_not_encoded(cls: Any, status: str) -> None:
    assert cls('/ä b?x=%20').headers == {'location': '/ä b?x=%20'}


@pytest.mark.parametrize(('cls', 'status'), REDIRECTS, ids=ids)
def test_extra_headers_dict_is_updated_and_existing_location_kept(cls: Any, status: str) -> None:
    headers = {'X-Why': 'moved'}
    redirect = cls('/a', headers=headers)
    assert redirect.headers is headers
    assert headers == {'X-Why': 'moved', 'location': '/a'}

    assert cls('/a', {'location': '/kept'}).headers == {'location': '/kept'}


@pytest.mark.parametrize(('cls', 'status'), REDIRECTS, ids=ids)
def test_header_list_is_converted(cls: Any, status: str) -> None:
    assert cls('/a', [('X', '1')]).headers == {'X': '1', 'location': '/a'}


@pytest.mark.parametrize(('cls', 'status'), REDIRECTS, ids=ids)
@pytest.mark.parametrize('bad', ['/a\r\nSet-Cookie: x=1', '/a\nb', '/a\x00'])
def test_header_injection_is_rejected(cls: Any, status: str, bad: str) -> None:
    with pytest.raises(ValueError, match='CR, LF or NUL'):
        cls(bad)


def test_location_required() -> None:
    with pytest.raises(TypeError):
        redirects.HTTPFound()  # type: ignore[call-arg]
