"""HTTPError, the predefined error classes and the non-HTTP exceptions."""

from __future__ import annotations

from collections import OrderedDict
import datetime
import http
import json
from typing import Any

import pytest

import lanner
from lanner import errors
from lanner.http_error import HTTPError, apply_to_response
from lanner.util.deprecation import DeprecatedWarning

# --------------------------------------------------------------------------------------------
# HTTPError
# --------------------------------------------------------------------------------------------


def test_title_defaults_to_status_line() -> None:
    assert HTTPError(lanner.HTTP_404).title == '404 Not Found'
    assert HTTPError(404).title == '404 Not Found'
    assert HTTPError(http.HTTPStatus.IM_A_TEAPOT).title == "418 I'm a Teapot"
    assert HTTPError(418).title == "418 I'm a teapot"
    assert HTTPError(599).title == '599 Unknown'
    assert HTTPError(b'404 Not Found').title == '404 Not Found'


def test_status_kept_as_given_and_status_code_normalised() -> None:
    for status in (404, '404 Not Found', b'404 Not Found', http.HTTPStatus.NOT_FOUND):
        error = HTTPError(status)
        assert error.status is status
        assert error.status_code == 404


def test_all_arguments_after_status_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        HTTPError(400, 'Title')  # type: ignore[misc]
    with pytest.raises(TypeError):
        errors.HTTPBadRequest('Title')  # type: ignore[misc]


def test_every_keyword_is_stored() -> None:
    headers = {'X-Thing': 'yes'}
    error = HTTPError(
        lanner.HTTP_400,
        title='Bad thing',
        description='It went wrong',
        headers=headers,
        href='http://example.com/docs',
        href_text='Read me',
        code=42,
    )
    assert error.title == 'Bad thing'
    assert error.description == 'It went wrong'
    assert error.headers is headers
    assert error.code == 42
    assert error.link == {'text': 'Read me', 'href': 'http://example.com/docs', 'rel': 'help'}
    assert error.href == 'http://example.com/docs'
    assert error.href_text == 'Read me'


def test_link_defaults_and_encoding() -> None:
    error = HTTPError(400, href='http://example.com/dö cs?q=a b')
    assert error.link == {
        'text': 'Documentation related to this error',
        'href': 'http://example.com/d%C3%B6%20cs?q=a%20b',
        'rel': 'help',
    }
    assert error.href_text == 'Documentation related to this error'


def test_no_href_means_no_link() -> None:
    error = HTTPError(400, href_text='ignored')
    assert error.link is None
    assert error.href is None
    assert error.href_text is None


def test_to_dict_only_includes_set_fields_in_order() -> None:
    assert HTTPError(404).to_dict() == {'title': '404 Not Found'}
    error = HTTPError(400, description='d', code=0, href='/docs')
    result = error.to_dict()
    assert list(result) == ['title', 'description', 'code', 'link']
    assert result['code'] == 0
    # A new mapping every time.
    assert error.to_dict() is not result


def test_to_dict_with_custom_mapping_type() -> None:
    result = HTTPError(400, description='d').to_dict(OrderedDict)
    assert type(result) is OrderedDict
    assert result == OrderedDict([('title', '400 Bad Request'), ('description', 'd')])


def test_to_json_default_format_is_bytes_with_stdlib_spacing() -> None:
    assert lanner.HTTPNotFound().to_json() == b'{"title": "404 Not Found"}'
    body = HTTPError(400, title='Ünïcode ☃', description='日本').to_json()
    assert body == '{"title": "Ünïcode ☃", "description": "日本"}'.encode()


def test_to_json_with_custom_handler() -> None:
    calls: list[tuple[Any, str]] = []

    class Handler:
        def serialize(self, media: Any, content_type: str) -> bytes:
            calls.append((media, content_type))
            return b'custom'

    assert HTTPError(400, code=7).to_json(Handler()) == b'custom'
    assert calls == [({'title': '400 Bad Request', 'code': 7}, 'application/json')]


def test_subclass_can_extend_to_dict_and_json_uses_it() -> None:
    class WithExtra(errors.HTTPBadRequest):
        def to_dict(self, obj_type: Any = dict) -> Any:
            result = super().to_dict(obj_type)
            result['extra'] = [1, 2]
            return result

    error = WithExtra(description='d')
    error.custom_attribute = 'subclasses may add attributes'  # type: ignore[attr-defined]
    assert json.loads(error.to_json()) == {
        'title': '400 Bad Request',
        'description': 'd',
        'extra': [1, 2],
    }


def test_to_xml_is_deprecated_and_formats_every_field() -> None:
    error = HTTPError(
        400, title='<T&T>', description='ü "q"', code=3, href='http://x/a', href_text='Docs'
    )
    with pytest.warns(DeprecatedWarning, match='internal error serialization to XML'):
        body = error.to_xml()
    assert (
        body
        == (
            '<?xml version="1.0" encoding="UTF-8"?><error><title>&lt;T&amp;T&gt;</title>'
            '<description>ü "q"</description><code>3</code><link><text>Docs</text>'
            '<href>http://x/a</href><rel>help</rel></link></error>'
        ).encode()
    )


def test_to_xml_omits_absent_fields() -> None:
    with pytest.warns(DeprecatedWarning):
        body = lanner.HTTPForbidden().to_xml()
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?><error><title>403 Forbidden</title></error>'
    )


def test_repr_and_str() -> None:
    assert repr(lanner.HTTPNotFound()) == '<HTTPNotFound: 404 Not Found>'
    assert str(lanner.HTTPNotFound()) == '<HTTPNotFound: 404 Not Found>'
    assert repr(HTTPError(503)) == '<HTTPError: 503>'


def test_slots_declared() -> None:
    assert set(HTTPError.__slots__) == {
        'status',
        'title',
        'description',
        'headers',
        'link',
        'code',
    }


def test_is_an_exception_that_can_be_raised_and_caught() -> None:
    with pytest.raises(HTTPError) as info:
        raise lanner.HTTPNotFound(description='gone')
    assert info.value.description == 'gone'


class _FakeResponse:
    def __init__(self) -> None:
        self.status: Any = None
        self.applied: list[Any] = []

    def set_headers(self, headers: Any) -> None:
        self.applied.append(headers)


def test_apply_to_response_sets_status_and_headers() -> None:
    resp = _FakeResponse()
    apply_to_response(lanner.HTTPMethodNotAllowed(['GET']), resp)
    assert resp.status == lanner.HTTP_405
    assert resp.applied == [{'Allow': 'GET'}]

    resp = _FakeResponse()
    apply_to_response(HTTPError(418), resp)
    assert resp.status == 418
    assert resp.applied == []


# --------------------------------------------------------------------------------------------
# Predefined classes
# --------------------------------------------------------------------------------------------

SIMPLE_CLASSES = [
    (errors.HTTPBadRequest, 400),
    (errors.HTTPForbidden, 403),
    (errors.HTTPNotFound, 404),
    (errors.HTTPRouteNotFound, 404),
    (errors.HTTPNotAcceptable, 406),
    (errors.HTTPConflict, 409),
    (errors.HTTPGone, 410),
    (errors.HTTPLengthRequired, 411),
    (errors.HTTPPreconditionFailed, 412),
    (errors.HTTPContentTooLarge, 413),
    (errors.HTTPUriTooLong, 414),
    (errors.HTTPUnsupportedMediaType, 415),
    (errors.HTTPUnprocessableEntity, 422),
    (errors.HTTPLocked, 423),
    (errors.HTTPFailedDependency, 424),
    (errors.HTTPPreconditionRequired, 428),
    (errors.HTTPTooManyRequests, 429),
    (errors.HTTPRequestHeaderFieldsTooLarge, 431),
    (errors.HTTPUnavailableForLegalReasons, 451),
    (errors.HTTPUnauthorized, 401),
    (errors.HTTPInternalServerError, 500),
    (errors.HTTPNotImplemented, 501),
    (errors.HTTPBadGateway, 502),
    (errors.HTTPServiceUnavailable, 503),
    (errors.HTTPGatewayTimeout, 504),
    (errors.HTTPVersionNotSupported, 505),
    (errors.HTTPInsufficientStorage, 507),
    (errors.HTTPLoopDetected, 508),
    (errors.HTTPNetworkAuthenticationRequired, 511),
    (errors.MediaValidationError, 400),
]


@pytest.mark.parametrize(('cls', 'code'), SIMPLE_CLASSES, ids=lambda v: getattr(v, '__name__', v))
def test_simple_class_defaults(cls: type[HTTPError], code: int) -> None:
    error = cls()
    line = getattr(lanner, f'HTTP_{code}')
    assert error.status == line
    assert error.status_code == code
    assert error.title == line
    assert error.description is None
    assert error.headers is None
    assert error.link is None
    assert error.code is None
    assert isinstance(error, HTTPError)
    assert error.to_dict() == {'title': line}


@pytest.mark.parametrize(('cls', 'code'), SIMPLE_CLASSES, ids=lambda v: getattr(v, '__name__', v))
def test_simple_class_accepts_every_keyword(cls: type[HTTPError], code: int) -> None:
    error = cls(
        title='T',
        description='D',
        headers={'X-A': 'b'},
        href='/help',
        href_text='Help',
        code=9,
    )
    assert (error.title, error.description, error.code) == ('T', 'D', 9)
    assert error.headers == {'X-A': 'b'}
    assert error.link == {'text': 'Help', 'href': '/help', 'rel': 'help'}
    with pytest.raises(TypeError):
        cls('positional')  # type: ignore[misc,call-arg]


def test_hierarchy() -> None:
    assert issubclass(errors.HTTPRouteNotFound, errors.HTTPNotFound)
    assert issubclass(errors.HTTPPayloadTooLarge, errors.HTTPContentTooLarge)
    for cls in (
        errors.HTTPInvalidHeader,
        errors.HTTPMissingHeader,
        errors.HTTPInvalidParam,
        errors.HTTPMissingParam,
        errors.MediaNotFoundError,
        errors.MediaMalformedError,
        errors.MediaValidationError,
    ):
        assert issubclass(cls, errors.HTTPBadRequest)
    assert issubclass(errors.MultipartParseError, errors.MediaMalformedError)


def test_every_error_class_is_exported_from_lanner() -> None:
    for name in errors.__all__:
        assert getattr(lanner, name) is getattr(errors, name)


# Special-argument classes --------------------------------------------------------------------


def test_method_not_allowed_sets_allow() -> None:
    error = errors.HTTPMethodNotAllowed(['GET', 'PUT'])
    assert error.status == lanner.HTTP_405
    assert error.headers == {'Allow': 'GET, PUT'}


def test_method_not_allowed_overrides_allow_in_dict_in_place() -> None:
    headers = {'Allow': 'POST', 'X-Other': '1'}
    error = errors.HTTPMethodNotAllowed(('GET',), headers=headers)
    assert error.headers is headers
    assert headers == {'Allow': 'GET', 'X-Other': '1'}


def test_method_not_allowed_converts_header_list() -> None:
    error = errors.HTTPMethodNotAllowed(['GET'], headers=[('Allow', 'POST'), ('X-Other', '1')])
    assert error.headers == {'Allow': 'GET', 'X-Other': '1'}


def test_method_not_allowed_requires_methods() -> None:
    with pytest.raises(TypeError):
        errors.HTTPMethodNotAllowed()  # type: ignore[call-arg]


def test_unauthorized_challenges() -> None:
    assert errors.HTTPUnauthorized().headers is None
    error = errors.HTTPUnauthorized(challenges=['Basic realm="x"', 'Bearer'])
    assert error.headers == {'WWW-Authenticate': 'Basic realm="x", Bearer'}
    error = errors.HTTPUnauthorized(
        challenges=['Token'], headers=[('WWW-Authenticate', 'old'), ('X', 'y')]
    )
    assert error.headers == {'WWW-Authenticate': 'Token', 'X': 'y'}
    assert errors.HTTPUnauthorized(title='Login required').title == 'Login required'


@pytest.mark.parametrize(
    'cls',
    [errors.HTTPContentTooLarge, errors.HTTPTooManyRequests, errors.HTTPServiceUnavailable],
)
def test_retry_after(cls: Any) -> None:
    assert cls().headers is None
    assert cls(retry_after=120).headers == {'Retry-After': '120'}
    when = datetime.datetime(2015, 10, 21, 7, 28, 0)
    assert cls(retry_after=when).headers == {'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT'}
    headers = {'Retry-After': '1', 'X': 'y'}
    assert cls(retry_after=5, headers=headers).headers == {'Retry-After': '5', 'X': 'y'}
    assert cls(retry_after=5, headers=[('X', 'y')]).headers == {'X': 'y', 'Retry-After': '5'}


def test_range_not_satisfiable() -> None:
    error = errors.HTTPRangeNotSatisfiable(1024)
    assert error.status == lanner.HTTP_416
    assert error.headers == {'Content-Range': 'bytes */1024'}
    error = errors.HTTPRangeNotSatisfiable(10, headers=[('Content-Range', 'x')])
    assert error.headers == {'Content-Range': 'bytes */10'}


def test_payload_too_large_is_deprecated() -> None:
    with pytest.warns(DeprecatedWarning):
        error = errors.HTTPPayloadTooLarge(retry_after=3)
    assert error.status == lanner.HTTP_413
    assert error.headers == {'Retry-After': '3'}


# Fixed-message 400s ---------------------------------------------------------------------------


def test_invalid_header() -> None:
    error = errors.HTTPInvalidHeader('Must be a number.', 'X-Count', code=5)
    assert error.status == lanner.HTTP_400
    assert error.title == 'Invalid header value'
    assert error.description == (
        'The value provided for the "X-Count" header is invalid. Must be a number.'
    )
    assert error.code == 5


def test_missing_header() -> None:
    error = errors.HTTPMissingHeader('X-Auth', headers={'X': '1'})
    assert error.title == 'Missing header value'
    assert error.description == 'The "X-Auth" header is required.'
    assert error.headers == {'X': '1'}


def test_invalid_param() -> None:
    error = errors.HTTPInvalidParam('Expected an int.', 'limit')
    assert error.title == 'Invalid parameter'
    assert error.description == 'The "limit" parameter is invalid. Expected an int.'


def test_missing_param() -> None:
    error = errors.HTTPMissingParam('limit')
    assert error.title == 'Missing parameter'
    assert error.description == 'The "limit" parameter is required.'


@pytest.mark.parametrize(
    'factory',
    [
        lambda **kw: errors.HTTPInvalidHeader('m', 'h', **kw),
        lambda **kw: errors.HTTPMissingHeader('h', **kw),
        lambda **kw: errors.HTTPInvalidParam('m', 'p', **kw),
        lambda **kw: errors.HTTPMissingParam('p', **kw),
    ],
)
@pytest.mark.parametrize('keyword', ['title', 'description'])
def test_fixed_message_classes_reject_title_and_description(factory: Any, keyword: str) -> None:
    with pytest.raises(TypeError):
        factory(**{keyword: 'x'})


# Media errors -----------------------------------------------------------------------------------


def test_media_not_found() -> None:
    error = errors.MediaNotFoundError('JSON')
    assert error.status == lanner.HTTP_400
    assert error.title == 'Invalid JSON'
    assert error.description == 'Could not parse an empty JSON body'


def test_media_malformed_description_is_computed_from_cause() -> None:
    error = errors.MediaMalformedError('MessagePack')
    assert error.title == 'Invalid MessagePack'
    assert error.description == 'Could not parse MessagePack body'

    try:
        try:
            json.loads('{')
        except ValueError as cause:
            raise errors.MediaMalformedError('JSON') from cause
    except errors.MediaMalformedError as chained:
        assert chained.description is not None
        assert chained.description.startswith('Could not parse JSON body - Expecting')
        assert chained.to_dict()['description'] == chained.description


def test_media_malformed_ignores_assigned_description() -> None:
    error = errors.MediaMalformedError('JSON', description='ignored')
    assert error.description == 'Could not parse JSON body'
    error.description = 'also ignored'
    assert error.description == 'Could not parse JSON body'


def test_multipart_parse_error_uses_description_as_given() -> None:
    error = errors.MultipartParseError(description='unexpected EOF')
    assert error.title == 'Malformed multipart/form-data request media'
    assert error.description == 'unexpected EOF'
    assert errors.MultipartParseError().description is None
    try:
        raise errors.MultipartParseError(description='x') from ValueError('cause')
    except errors.MultipartParseError as error2:
        assert error2.description == 'x'
    error.description = 'changed'
    assert error.description == 'changed'


def test_media_validation_error_keeps_cause() -> None:
    cause = ValueError('schema says no')
    try:
        raise errors.MediaValidationError(
            title='Request data failed validation', description='no'
        ) from cause
    except errors.MediaValidationError as error:
        assert error.__cause__ is cause
        assert error.title == 'Request data failed validation'


# --------------------------------------------------------------------------------------------
# Non-HTTP exceptions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('cls', 'base'),
    [
        (errors.CompatibilityError, ValueError),
        (errors.HeaderNotSupported, ValueError),
        (errors.InvalidMediaType, ValueError),
        (errors.InvalidMediaRange, errors.InvalidMediaType),
        (errors.UnsupportedScopeError, RuntimeError),
        (errors.UnsupportedError, RuntimeError),
        (errors.OperationNotAllowed, ValueError),
        (errors.DelimiterError, OSError),
        (errors.PayloadTypeError, TypeError),
        (errors.WebSocketDisconnected, ConnectionError),
        (errors.WebSocketPathNotFound, errors.WebSocketDisconnected),
        (errors.WebSocketHandlerNotFound, errors.WebSocketDisconnected),
        (errors.WebSocketServerError, errors.WebSocketDisconnected),
    ],
)
def test_non_http_exception_bases(cls: type[Exception], base: type[Exception]) -> None:
    assert issubclass(cls, base)
    assert not issubclass(cls, HTTPError)


def test_websocket_disconnected_code() -> None:
    assert errors.WebSocketDisconnected().code == 1000
    assert errors.WebSocketDisconnected(1001).code == 1001
    assert errors.WebSocketPathNotFound(3404).code == 3404
    assert '1006' in str(errors.WebSocketDisconnected(1006))


# --------------------------------------------------------------------------------------------
# Default error serializer (spec 6.6), driven through duck-typed request/response objects so it
# is tested independently of the App.
# --------------------------------------------------------------------------------------------


class _Options:
    def __init__(self, handlers: Any, xml: bool = True) -> None:
        self.media_handlers = handlers
        self.xml_error_serialization = xml


class _Req:
    def __init__(self, accept: str | None) -> None:
        self.accept = accept or '*/*'

    def client_prefers(self, media_types: list[str]) -> str | None:
        from lanner.util.mediatypes import best_match

        # As lanner.Request.client_prefers: a malformed Accept header prefers nothing.
        try:
            return best_match(media_types, self.accept) or None
        except ValueError:
            return None


class _Resp:
    def __init__(self, options: _Options) -> None:
        self.options = options
        self.data: bytes | None = None
        self.media: Any = None
        self.content_type: str | None = None
        self.appended: list[tuple[str, str]] = []

    def append_header(self, name: str, value: str) -> None:
        self.appended.append((name, value))


class _RecordingHandler:
    def __init__(self, output: bytes = b'<yaml>') -> None:
        self.output = output
        self.calls: list[Any] = []

    def serialize(self, media: Any, content_type: str) -> bytes:
        self.calls.append((media, content_type))
        return self.output


def _serialize(
    accept: str | None, handlers: dict[str, Any] | None = None, xml: bool = True
) -> _Resp:
    from lanner._app.error_serializer import default_serialize_error

    resp = _Resp(_Options({} if handlers is None else handlers, xml))
    default_serialize_error(
        _Req(accept), resp, errors.HTTPNotFound(description='nothing here', code=3)
    )
    return resp


def test_serializer_defaults_to_json_without_handler() -> None:
    resp = _serialize(None)
    assert resp.content_type == 'application/json'
    assert resp.data == b'{"title": "404 Not Found", "description": "nothing here", "code": 3}'
    assert resp.media is None
    assert resp.appended == [('Vary', 'Accept')]


def test_serializer_uses_registered_json_handler() -> None:
    handler = _RecordingHandler(b'{"x":1}')
    resp = _serialize('application/json', {'application/json': handler})
    assert resp.data == b'{"x":1}'
    assert handler.calls == [
        ({'title': '404 Not Found', 'description': 'nothing here', 'code': 3}, 'application/json')
    ]


def test_serializer_json_handler_without_sync_serialize_raises() -> None:
    class AsyncOnly:
        def serialize(self, media: Any, content_type: str) -> bytes:
            raise NotImplementedError

    with pytest.raises(NotImplementedError):
        _serialize('application/json', {'application/json': AsyncOnly()})


@pytest.mark.parametrize('accept', ['application/xml', 'text/xml'])
def test_serializer_xml(accept: str) -> None:
    resp = _serialize(accept)
    assert resp.content_type == accept
    assert resp.data == (
        b'<?xml version="1.0" encoding="UTF-8"?><error><title>404 Not Found</title>'
        b'<description>nothing here</description><code>3</code></error>'
    )
    assert resp.appended == [('Vary', 'Accept')]


def test_serializer_browser_accept_prefers_xml_when_enabled() -> None:
    browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'
    assert _serialize(browser).content_type == 'application/xml'
    assert _serialize(browser, xml=False).content_type == 'application/json'


def test_serializer_ties_go_to_json() -> None:
    assert _serialize('application/xml, application/json').content_type == 'application/json'


def test_serializer_xml_disabled_falls_back_to_json_for_wildcards() -> None:
    resp = _serialize('application/xml, */*;q=0.1', xml=False)
    assert resp.content_type == 'application/json'


def test_serializer_nothing_acceptable_sets_no_body() -> None:
    resp = _serialize('text/plain', xml=False)
    assert resp.data is None
    assert resp.media is None
    assert resp.content_type is None
    assert resp.appended == [('Vary', 'Accept')]


def test_serializer_suffix_json_forces_canonical_json() -> None:
    resp = _serialize('application/problem+json')
    assert resp.content_type == 'application/json'
    assert resp.data is not None and resp.data.startswith(b'{"title": "404 Not Found"')


def test_serializer_suffix_xml_forces_canonical_xml() -> None:
    resp = _serialize('application/atom+xml')
    assert resp.content_type == 'application/xml'
    assert resp.data is not None and resp.data.startswith(b'<?xml')


def test_serializer_suffix_xml_with_xml_disabled_gives_empty_body() -> None:
    resp = _serialize('application/ATOM+XML', xml=False)
    assert resp.content_type == 'application/xml'
    assert resp.data is None
    assert resp.media is None


def test_serializer_other_registered_handler_gets_media() -> None:
    yaml = _RecordingHandler()
    resp = _serialize('application/yaml', {'application/yaml': yaml})
    assert resp.content_type == 'application/yaml'
    assert resp.media == {'title': '404 Not Found', 'description': 'nothing here', 'code': 3}
    assert resp.data is None
    # Rendering is left to the response (the handler is not called here).
    assert yaml.calls == []


def test_serializer_registered_xml_handler_replaces_builtin_xml() -> None:
    xml = _RecordingHandler()
    resp = _serialize('application/xml', {'application/xml': xml})
    assert resp.content_type == 'application/xml'
    assert resp.media is not None
    assert resp.data is None


def test_serializer_malformed_accept_gives_no_body() -> None:
    resp = _serialize('text/html;q=abc')
    assert resp.content_type is None
    assert resp.data is None
    assert resp.appended == [('Vary', 'Accept')]


def test_serializer_with_real_media_handlers() -> None:
    media = pytest.importorskip('lanner.media')
    handlers = media.Handlers()
    resp = _serialize('application/json', handlers)
    assert resp.content_type == 'application/json'
    assert resp.data is not None
    assert json.loads(resp.data) == {
        'title': '404 Not Found',
        'description': 'nothing here',
        'code': 3,
    }
    # JSON handler removed: the stdlib default is used.
    del handlers['application/json']
    resp = _serialize('application/json', handlers)
    assert resp.data == b'{"title": "404 Not Found", "description": "nothing here", "code": 3}'


# --------------------------------------------------------------------------------------------
# End to end through both App flavours
# --------------------------------------------------------------------------------------------


def _client_raising(make_app: Any, asgi: bool, exc: BaseException) -> Any:
    from support.harness import Client, resource

    def on_get(req: Any, resp: Any) -> None:
        resp.set_header('X-From-Responder', 'kept')
        resp.text = 'discarded'
        raise exc

    app = make_app()
    app.add_route('/thing', resource(asgi, on_get=on_get))
    return Client(app)


def test_e2e_http_error_json_body_headers_and_vary(make_app: Any, asgi: bool) -> None:
    error = errors.HTTPMethodNotAllowed(
        ['GET', 'PUT'], description='Nope', code=12, href='/docs/405', headers={'X-Extra': '1'}
    )
    result = _client_raising(make_app, asgi, error).get('/thing')
    assert result.status_code == 405
    assert result.headers['allow'] == 'GET, PUT'
    assert result.headers['x-extra'] == '1'
    assert result.headers['x-from-responder'] == 'kept'
    assert result.headers['vary'] == 'Accept'
    assert result.headers['content-type'] == 'application/json'
    assert result.json == {
        'title': '405 Method Not Allowed',
        'description': 'Nope',
        'code': 12,
        'link': {'text': 'Documentation related to this error', 'href': '/docs/405', 'rel': 'help'},
    }


def test_e2e_xml_negotiation(make_app: Any, asgi: bool) -> None:
    client = _client_raising(make_app, asgi, errors.HTTPForbidden(description='ü'))
    result = client.get('/thing', headers={'Accept': 'application/xml'})
    assert result.status_code == 403
    assert result.headers['content-type'] == 'application/xml'
    assert (
        result.content
        == (
            '<?xml version="1.0" encoding="UTF-8"?><error><title>403 Forbidden</title>'
            '<description>ü</description></error>'
        ).encode()
    )


def test_e2e_unacceptable_accept_gives_empty_body(make_app: Any, asgi: bool) -> None:
    client = _client_raising(make_app, asgi, errors.HTTPGone())
    result = client.get('/thing', headers={'Accept': 'image/png'})
    assert result.status_code == 410
    assert result.content == b''
    assert result.headers['vary'] == 'Accept'


@pytest.mark.parametrize('accept', ['text/html;q=oops', 'garbage', '*/*;q=2'])
def test_e2e_malformed_accept_never_500(make_app: Any, asgi: bool, accept: str) -> None:
    client = _client_raising(make_app, asgi, errors.HTTPBadRequest())
    result = client.get('/thing', headers={'Accept': accept})
    assert result.status_code == 400


def test_e2e_route_not_found(make_app: Any, asgi: bool) -> None:
    result = _client_raising(make_app, asgi, errors.HTTPBadRequest()).get('/missing')
    assert result.status_code == 404
    assert result.json == {'title': '404 Not Found'}


def test_e2e_retry_after_and_www_authenticate(make_app: Any, asgi: bool) -> None:
    when = datetime.datetime(2030, 1, 2, 3, 4, 5)
    result = _client_raising(make_app, asgi, errors.HTTPServiceUnavailable(retry_after=when)).get(
        '/thing'
    )
    assert result.status_code == 503
    assert result.headers['retry-after'] == 'Wed, 02 Jan 2030 03:04:05 GMT'

    error = errors.HTTPUnauthorized(challenges=['Bearer realm="api"'])
    result = _client_raising(make_app, asgi, error).get('/thing')
    assert result.status_code == 401
    assert result.headers['www-authenticate'] == 'Bearer realm="api"'


def test_e2e_http_status_and_redirect(make_app: Any, asgi: bool) -> None:
    from lanner.http_status import HTTPStatus

    result = _client_raising(make_app, asgi, HTTPStatus(202, {'X-A': 'b'}, 'queued')).get('/thing')
    assert result.status_code == 202
    assert result.text == 'queued'
    assert result.headers['x-a'] == 'b'
    assert 'vary' not in result.headers

    result = _client_raising(make_app, asgi, lanner.HTTPSeeOther('/else where?x=%zz')).get('/thing')
    assert result.status_code == 303
    # Sent verbatim: no URI encoding (unlike resp.location).
    assert result.headers['location'] == '/else where?x=%zz'
    assert result.content == b''
