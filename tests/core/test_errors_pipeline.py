"""The error-handling pipeline: handler lookup, failures in handlers and serializers, rendering."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

import pytest
from support.harness import Client, middleware, resource

import lanner
from lanner.util.deprecation import DeprecatedWarning


def handler(asgi: bool, func: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``func(req, resp, ex, params)`` suit the App flavour."""
    if not asgi:
        return func

    async def async_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        func(req, resp, ex, params)

    async_handler.__name__ = func.__name__
    return async_handler


def raising(exc: BaseException) -> Callable[..., None]:
    def responder(req: Any, resp: Any, **params: Any) -> None:
        raise exc

    return responder


class ParentError(Exception):
    pass


class ChildError(ParentError):
    pass


def test_handler_lookup_follows_the_mro(make_app: Any, asgi: bool) -> None:
    app = make_app()

    def parent(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.text = 'parent'

    def child(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.text = 'child'

    app.add_error_handler(ParentError, handler(asgi, parent))
    app.add_route('/child', resource(asgi, on_get=raising(ChildError())))
    app.add_route('/parent', resource(asgi, on_get=raising(ParentError())))
    client = Client(app)
    assert client.get('/child').text == 'parent'
    app.add_error_handler(ChildError, handler(asgi, child))
    assert client.get('/child').text == 'child'
    assert client.get('/parent').text == 'parent'
    # For the same class, the latest registration wins.
    app.add_error_handler(ChildError, handler(asgi, parent))
    assert client.get('/child').text == 'parent'


def test_handler_gets_route_params_and_a_reset_body(make_app: Any, asgi: bool) -> None:
    seen: dict[str, Any] = {}

    def on_get(req: Any, resp: Any, item_id: str) -> None:
        resp.text = 'partial body'
        resp.set_header('X-Kept', 'yes')
        raise ParentError('boom')

    def record(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        seen.update(params=params, text=resp.text, data=resp.data, media=resp.media)
        resp.status = lanner.HTTP_409

    app = make_app()
    app.add_error_handler(ParentError, handler(asgi, record))
    app.add_route('/items/{item_id}', resource(asgi, on_get=on_get))
    result = Client(app).get('/items/5')
    assert result.status_code == 409
    assert result.headers['x-kept'] == 'yes'  # headers survive, the body does not
    assert result.content == b''
    assert seen == {'params': {'item_id': '5'}, 'text': None, 'data': None, 'media': None}


def test_params_are_empty_when_routing_did_not_complete(make_app: Any, asgi: bool) -> None:
    seen: list[Any] = []

    def fail(req: Any, resp: Any) -> None:
        raise ParentError()

    def record(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        seen.append(params)

    app = make_app(middleware=middleware(asgi, process_request=fail))
    app.add_error_handler(ParentError, handler(asgi, record))
    app.add_route('/items/{item_id}', resource(asgi, on_get=lambda req, resp, item_id: None))
    Client(app).get('/items/5')
    assert seen == [{}]


def test_handler_raising_http_error_uses_default_composition(make_app: Any, asgi: bool) -> None:
    custom: list[str] = []

    def convert(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise lanner.HTTPConflict(title='Conflict', description='already there')

    def custom_http_error(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        custom.append('called')  # bypassed for errors raised by handlers

    app = make_app()
    app.add_error_handler(ParentError, handler(asgi, convert))
    app.add_error_handler(lanner.HTTPError, handler(asgi, custom_http_error))
    app.add_route('/', resource(asgi, on_get=raising(ParentError())))
    result = Client(app).get('/')
    assert result.status_code == 409
    assert result.json == {'title': 'Conflict', 'description': 'already there'}
    assert custom == []


def test_handler_raising_http_status(make_app: Any, asgi: bool) -> None:
    def convert(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise lanner.HTTPStatus(lanner.HTTP_202, headers={'X-Status': 'yes'}, text='accepted')

    app = make_app()
    app.add_error_handler(ParentError, handler(asgi, convert))
    app.add_route('/', resource(asgi, on_get=raising(ParentError())))
    result = Client(app).get('/')
    assert (result.status_code, result.text, result.headers['x-status']) == (202, 'accepted', 'yes')


def test_failing_error_handler_propagates(
    make_app: Any, asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise KeyError('bug in the handler')

    app = make_app()
    app.add_error_handler(ParentError, handler(asgi, broken))
    app.add_route('/', resource(asgi, on_get=raising(ParentError())))
    with caplog.at_level(logging.ERROR, logger='lanner'):
        with pytest.raises(KeyError, match='bug in the handler'):
            Client(app).get('/')
    assert caplog.text == ''  # left for the server to log, as in Falcon


def test_failing_custom_exception_handler_propagates(make_app: Any, asgi: bool) -> None:
    def broken(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise RuntimeError('the catch-all handler is broken too')

    app = make_app()
    app.add_error_handler(Exception, handler(asgi, broken))
    app.add_route('/', resource(asgi, on_get=raising(ValueError('first'))))
    with pytest.raises(RuntimeError, match='broken too'):
        Client(app).get('/')


def test_handler_reraising_the_error_propagates_it(make_app: Any, asgi: bool) -> None:
    def bubble_up(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise ex

    app = make_app()
    app.add_error_handler(ParentError, handler(asgi, bubble_up))
    app.add_route('/', resource(asgi, on_get=raising(ChildError('to the server'))))
    with pytest.raises(ChildError, match='to the server'):
        Client(app).get('/')


def test_failing_error_serializer_propagates(make_app: Any, asgi: bool) -> None:
    def serializer(req: Any, resp: Any, exception: Any) -> None:
        raise RuntimeError('serializer bug')

    app = make_app()
    app.set_error_serializer(serializer)
    app.add_route('/', resource(asgi, on_get=raising(lanner.HTTPNotFound())))
    with pytest.raises(RuntimeError, match='serializer bug'):
        Client(app).get('/')


def test_custom_error_serializer(make_app: Any, asgi: bool) -> None:
    def serializer(req: Any, resp: Any, exception: Any) -> None:
        resp.content_type = 'text/plain'
        resp.text = f'error: {exception.title}'

    app = make_app()
    app.set_error_serializer(serializer)
    app.add_route('/', resource(asgi, on_get=raising(lanner.HTTPForbidden(title='no'))))
    result = Client(app).get('/')
    assert (result.status_code, result.text) == (403, 'error: no')
    assert 'vary' not in result.headers  # a custom serializer adds no Vary by itself


def test_unhandled_exception_is_logged_and_500(
    make_app: Any, asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    app.add_route('/', resource(asgi, on_get=raising(ZeroDivisionError('division'))))
    with caplog.at_level(logging.ERROR, logger='lanner'):
        result = Client(app).get('/')
    assert result.status_code == 500
    assert result.json == {'title': '500 Internal Server Error'}
    if asgi:
        assert 'ZeroDivisionError' in caplog.text


def test_render_error_gives_status_and_headers_with_empty_body(make_app: Any, asgi: bool) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.content_type = 'application/x-unknown'
        resp.media = {'a': 1}

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    result = Client(app).get('/')
    assert result.status_code == 415
    assert result.content == b''
    assert result.headers['content-length'] == '0'
    assert result.headers['vary'] == 'Accept'


def test_exception_in_error_handler_for_render_error(make_app: Any, asgi: bool) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.content_type = 'application/x-unknown'
        resp.media = {'a': 1}

    def broken(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise RuntimeError('broken')

    app = make_app()
    app.add_error_handler(lanner.HTTPUnsupportedMediaType, handler(asgi, broken))
    app.add_route('/', resource(asgi, on_get=on_get))
    with pytest.raises(RuntimeError, match='broken'):
        Client(app).get('/')


def test_invalid_status_propagates(make_app: Any, asgi: bool) -> None:
    # The response cannot be started: the exception goes to the server (which answers 500).
    app = make_app()
    app.add_route('/', resource(asgi, on_get=lambda req, resp: setattr(resp, 'status', 1234.5)))
    with pytest.raises(ValueError):
        Client(app).get('/')


def test_handle_static_method_and_iterables(make_app: Any, asgi: bool) -> None:
    class Handled(Exception):
        if asgi:

            @staticmethod
            async def handle(req: Any, resp: Any, ex: Exception, params: Any) -> None:
                resp.text = 'handled by handle()'

        else:

            @staticmethod
            def handle(req: Any, resp: Any, ex: Exception, params: Any) -> None:
                resp.text = 'handled by handle()'

    def both(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        resp.text = type(ex).__name__

    app = make_app()
    app.add_error_handler(Handled)
    app.add_error_handler((KeyError, IndexError), handler(asgi, both))
    app.add_route('/h', resource(asgi, on_get=raising(Handled())))
    app.add_route('/k', resource(asgi, on_get=raising(KeyError('k'))))
    app.add_route('/i', resource(asgi, on_get=raising(IndexError())))
    client = Client(app)
    assert client.get('/h').text == 'handled by handle()'
    assert client.get('/k').text == 'KeyError'
    assert client.get('/i').text == 'IndexError'


def test_registration_errors(make_app: Any, asgi: bool) -> None:
    app = make_app()
    with pytest.raises(AttributeError, match='handle'):
        app.add_error_handler(KeyError)
    with pytest.raises(TypeError, match='Exception'):
        app.add_error_handler(BaseException, handler(asgi, lambda *a: None))
    with pytest.raises(TypeError, match='handler must be given'):
        app.add_error_handler((KeyError, IndexError))


def test_flavour_of_error_handlers(make_app: Any, asgi: bool) -> None:
    app = make_app()

    def sync_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        pass

    async def async_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        pass

    with pytest.raises(lanner.CompatibilityError, match='error handler'):
        app.add_error_handler(KeyError, sync_handler if asgi else async_handler)


def test_legacy_handler_signature_is_adapted_with_a_warning(make_app: Any, asgi: bool) -> None:
    if asgi:
        pytest.skip('WSGI only (as in Falcon)')

    def legacy(ex: Exception, req: Any, resp: Any, params: Any) -> None:
        resp.text = f'legacy {type(ex).__name__}'

    app = make_app()
    with pytest.warns(DeprecatedWarning, match='deprecated signature.*req, resp, ex, params'):
        app.add_error_handler(KeyError, legacy)
    app.add_route('/', resource(asgi, on_get=raising(KeyError())))
    assert Client(app).get('/').text == 'legacy KeyError'


@pytest.mark.filterwarnings('ignore::wsgiref.validate.WSGIWarning')
def test_websocket_method_over_http_is_400(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.add_route('/', resource(asgi, on_get=lambda req, resp: None))
    assert Client(app).request('WEBSOCKET', '/').status_code == 400


@pytest.mark.filterwarnings('ignore::wsgiref.validate.WSGIWarning')
def test_unknown_method_is_400(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.add_route('/', resource(asgi, on_get=lambda req, resp: None))
    result = Client(app).request('FOOBAR', '/')
    assert result.status_code == 400
    assert result.json == {'title': 'Bad request', 'description': 'Invalid HTTP method'}


def test_non_latin1_header_is_refused_when_set(make_app: Any, asgi: bool) -> None:
    # Latin-1 text passes (it can be sent); anything beyond cannot, and is refused at once
    # (lanner.UnsafeValueError) rather than failing when the response is serialized.
    def on_get(req: Any, resp: Any) -> None:
        resp.set_header('X-Name', req.get_param('name'))

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    client = Client(app)
    assert client.get('/', query_string='name=M%C3%BCnchen').headers['x-name'] == 'München'
    result = client.get('/', query_string='name=%C5%81%C3%B3d%C5%BA')  # Łódź
    assert result.status_code == 400
    assert result.json['title'] == 'Unsafe value refused'
    assert 'x-name' not in result.headers


def test_base_exceptions_are_not_caught(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.add_route('/', resource(asgi, on_get=raising(KeyboardInterrupt())))
    with pytest.raises(KeyboardInterrupt):
        Client(app).get('/')
