"""Status line constants, shared constants and the ASGI spec constants."""

from __future__ import annotations

import http
import re

import pytest

import lanner
from lanner import asgi_spec, constants, status_codes
from lanner.util.misc import code_to_http_status, http_status_to_code

NUMERIC = sorted(name for name in status_codes.__all__ if re.fullmatch(r'HTTP_\d{3}', name))


STANDARD_CODES = {
    100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303,
    304, 305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413,
    414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502,
    503, 504, 505, 506, 507, 508, 510, 511,
}  # fmt: skip
HUMOROUS_CODES = {
    701, 702, 703, 710, 711, 712, 719, 720, 721, 722, 723, 724, 725, 726, 727, 740, 741, 742,
    743, 744, 745, 748, 749, 750, 753, 754, 755, 759, 771, 772, 773, 774, 776, 777, 778, 779,
    780, 781, 782, 783, 784, 785, 786, 791, 792, 797, 799,
}  # fmt: skip


def test_every_constant_is_a_status_line_matching_its_name() -> None:
    assert {int(name[5:]) for name in NUMERIC} == STANDARD_CODES | HUMOROUS_CODES
    for name in NUMERIC:
        value = getattr(status_codes, name)
        assert re.fullmatch(r'\d{3} \S.*', value), name
        assert value[:3] == name[5:]
        assert getattr(lanner, name) == value


@pytest.mark.parametrize(
    ('name', 'line'),
    [
        ('HTTP_OK', '200 OK'),
        ('HTTP_CREATED', '201 Created'),
        ('HTTP_NO_CONTENT', '204 No Content'),
        ('HTTP_FOUND', '302 Found'),
        ('HTTP_NOT_FOUND', '404 Not Found'),
        ('HTTP_METHOD_NOT_ALLOWED', '405 Method Not Allowed'),
        ('HTTP_CONTENT_TOO_LARGE', '413 Content Too Large'),
        ('HTTP_REQUEST_URI_TOO_LONG', '414 URI Too Long'),
        ('HTTP_REQUESTED_RANGE_NOT_SATISFIABLE', '416 Range Not Satisfiable'),
        ('HTTP_IM_A_TEAPOT', "418 I'm a teapot"),
        ('HTTP_UNPROCESSABLE_ENTITY', '422 Unprocessable Entity'),
        ('HTTP_TOO_MANY_REQUESTS', '429 Too Many Requests'),
        ('HTTP_HTTP_VERSION_NOT_SUPPORTED', '505 HTTP Version Not Supported'),
        ('HTTP_NETWORK_AUTHENTICATION_REQUIRED', '511 Network Authentication Required'),
    ],
)
def test_named_aliases(name: str, line: str) -> None:
    assert getattr(status_codes, name) == line
    assert getattr(lanner, name) == line


def test_humorous_range_verbatim() -> None:
    assert status_codes.HTTP_701 == '701 Meh'
    assert status_codes.HTTP_745 == (
        "745 I don't always test my code, but when I do I do it in production"
    )
    assert status_codes.HTTP_799 == '799 End of the world'


def test_deprecated_413_names_only_in_status_codes() -> None:
    assert status_codes.HTTP_PAYLOAD_TOO_LARGE == '413 Content Too Large'
    assert status_codes.HTTP_REQUEST_ENTITY_TOO_LARGE == '413 Content Too Large'
    assert 'HTTP_PAYLOAD_TOO_LARGE' not in lanner.__all__
    assert 'HTTP_REQUEST_ENTITY_TOO_LARGE' not in lanner.__all__


def test_constants_round_trip_through_the_converters() -> None:
    for name in NUMERIC:
        line = getattr(status_codes, name)
        code = http_status_to_code(line)
        assert code_to_http_status(code) == line


def test_stdlib_phrases_differ_from_lanner_phrases_only_where_expected() -> None:
    differences = {
        code
        for code in (s.value for s in http.HTTPStatus)
        if hasattr(status_codes, f'HTTP_{code}')
        and code_to_http_status(http.HTTPStatus(code)) != code_to_http_status(code)
    }
    # Falcon keeps its own spelling for these.
    assert 418 in differences
    assert 200 not in differences and 404 not in differences


def test_media_constants() -> None:
    assert constants.MEDIA_JSON == constants.DEFAULT_MEDIA_TYPE == 'application/json'
    assert constants.MEDIA_JS == 'text/javascript'
    assert constants.MEDIA_HTML == 'text/html; charset=utf-8'
    assert constants.MEDIA_CSV == 'text/csv; charset=utf-8'
    assert constants.MEDIA_PARQUET == 'application/vnd.apache.parquet'
    assert lanner.MEDIA_MSGPACK == 'application/msgpack'


def test_method_lists() -> None:
    assert constants.HTTP_METHODS == [
        'CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'
    ]  # fmt: skip
    assert 'QUERY' in constants.COMBINED_METHODS
    assert constants.COMBINED_METHODS[-1] == 'WEBSOCKET'
    assert 'SINGLETON_HEADERS' in lanner.__all__
    assert 'host' in constants.SINGLETON_HEADERS


def test_asgi_spec_constants() -> None:
    assert asgi_spec.ScopeType.HTTP == 'http'
    assert asgi_spec.ScopeType.WS == 'websocket'
    assert asgi_spec.ScopeType.LIFESPAN == 'lifespan'
    assert asgi_spec.EventType.HTTP_RESPONSE_START == 'http.response.start'
    assert asgi_spec.EventType.HTTP_DISCONNECT == 'http.disconnect'
    assert asgi_spec.EventType.LIFESPAN_STARTUP_FAILED == 'lifespan.startup.failed'
    assert asgi_spec.EventType.WS_CLOSE == 'websocket.close'
    assert asgi_spec.WSCloseCode.NORMAL == 1000
    assert asgi_spec.WSCloseCode.SERVER_ERROR == 1011
    assert asgi_spec.WSCloseCode.FORBIDDEN == 3403
    assert asgi_spec.WSCloseCode.PATH_NOT_FOUND == 3404
    assert asgi_spec.WSCloseCode.HANDLER_NOT_FOUND == 3405
