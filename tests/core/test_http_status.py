"""HTTPStatus: raising a status with headers and optional text."""

from __future__ import annotations

import http

import pytest

import lanner
from lanner.http_status import HTTPStatus


def test_defaults() -> None:
    status = HTTPStatus(lanner.HTTP_204)
    assert status.status == '204 No Content'
    assert status.status_code == 204
    assert status.headers is None
    assert status.text is None


def test_all_arguments() -> None:
    headers = {'X-Reason': 'maintenance'}
    status = HTTPStatus(503, headers, 'down')
    assert (status.status, status.headers, status.text) == (503, headers, 'down')
    status = HTTPStatus(http.HTTPStatus.ACCEPTED, headers=[('X', 'y')], text='later')
    assert status.status_code == 202
    assert status.headers == [('X', 'y')]
    assert status.text == 'later'


def test_body_keyword_no_longer_exists() -> None:
    with pytest.raises(TypeError):
        HTTPStatus(200, body='x')  # type: ignore[call-arg]


def test_is_raisable_and_not_an_http_error() -> None:
    with pytest.raises(HTTPStatus) as info:
        raise HTTPStatus(lanner.HTTP_200, text='ok')
    assert info.value.text == 'ok'
    assert not isinstance(info.value, lanner.HTTPError)
    assert lanner.HTTPStatus is HTTPStatus


def test_repr() -> None:
    assert repr(HTTPStatus(lanner.HTTP_202)) == '<HTTPStatus: 202 Accepted>'
    assert str(HTTPStatus(418)) == '<HTTPStatus: 418>'


def test_slots() -> None:
    assert set(HTTPStatus.__slots__) == {'status', 'headers', 'text'}


def test_status_code_of_bad_status_raises_value_error() -> None:
    with pytest.raises(ValueError):
        _ = HTTPStatus('OK').status_code
