"""lanner.before / lanner.after on responders and resource classes, sync and async."""

from __future__ import annotations

import functools
from typing import Any
import warnings

import pytest
from support.harness import Client, middleware

import lanner
import lanner.hooks

# ---------------------------------------------------------------------- WSGI resources


def add_header(
    req: Any, resp: Any, resource: Any, params: dict[str, Any], name: str, value: str = '1'
) -> None:
    resp.append_header('X-Hooks', f'{name}={value}')


def convert_id(req: Any, resp: Any, resource: Any, params: dict[str, Any]) -> None:
    params['item_id'] = int(params['item_id'])
    params['injected'] = 'yes'


def after_header(req: Any, resp: Any, resource: Any, name: str, value: str = '1') -> None:
    resp.append_header('X-After', f'{name}={value}')


class ItemsSync:
    @lanner.before(convert_id)
    @lanner.before(add_header, 'outer', value='o')
    @lanner.after(after_header, 'a1')
    def on_get(self, req: Any, resp: Any, item_id: int, injected: str) -> None:
        resp.media = {'id': item_id, 'type': type(item_id).__name__, 'injected': injected}

    @lanner.after(after_header, 'never')
    def on_delete(self, req: Any, resp: Any, item_id: str) -> None:
        raise lanner.HTTPForbidden()


@lanner.before(add_header, 'class')
@lanner.after(after_header, 'class')
class ClassHooksSync:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.text = 'get'

    def on_get_items(self, req: Any, resp: Any) -> None:
        resp.text = 'items'

    def on_post(self, req: Any, resp: Any) -> None:
        resp.text = 'post'

    def on_header(self, req: Any, resp: Any) -> None:  # not a responder name
        resp.text = 'header'

    def helper(self) -> str:
        return 'untouched'


# ---------------------------------------------------------------------- ASGI resources


async def add_header_async(
    req: Any, resp: Any, resource: Any, params: dict[str, Any], name: str, value: str = '1'
) -> None:
    resp.append_header('X-Hooks', f'{name}={value}')


async def convert_id_async(req: Any, resp: Any, resource: Any, params: dict[str, Any]) -> None:
    params['item_id'] = int(params['item_id'])
    params['injected'] = 'yes'


async def after_header_async(
    req: Any, resp: Any, resource: Any, name: str, value: str = '1'
) -> None:
    resp.append_header('X-After', f'{name}={value}')


class ItemsAsync:
    @lanner.before(convert_id_async)
    @lanner.before(add_header_async, 'outer', value='o')
    @lanner.after(after_header_async, 'a1')
    async def on_get(self, req: Any, resp: Any, item_id: int, injected: str) -> None:
        resp.media = {'id': item_id, 'type': type(item_id).__name__, 'injected': injected}

    @lanner.after(after_header_async, 'never')
    async def on_delete(self, req: Any, resp: Any, item_id: str) -> None:
        raise lanner.HTTPForbidden()


@lanner.before(add_header_async, 'class')
@lanner.after(after_header_async, 'class')
class ClassHooksAsync:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.text = 'get'

    async def on_get_items(self, req: Any, resp: Any) -> None:
        resp.text = 'items'

    async def on_post(self, req: Any, resp: Any) -> None:
        resp.text = 'post'

    async def on_header(self, req: Any, resp: Any) -> None:
        resp.text = 'header'

    def helper(self) -> str:
        return 'untouched'


def test_before_and_after_on_a_responder(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.add_route('/items/{item_id}', ItemsAsync() if asgi else ItemsSync())
    result = Client(app).get('/items/42')
    assert result.status_code == 200
    assert result.json == {'id': 42, 'type': 'int', 'injected': 'yes'}
    assert result.headers['x-hooks'] == 'outer=o'
    assert result.headers['x-after'] == 'a1=1'


def test_after_hook_skipped_when_responder_raises(make_app: Any, asgi: bool) -> None:
    app = make_app()
    app.add_route('/items/{item_id}', ItemsAsync() if asgi else ItemsSync())
    result = Client(app).delete('/items/1')
    assert result.status_code == 403
    assert 'x-after' not in result.headers


def test_class_decoration_wraps_every_responder(make_app: Any, asgi: bool) -> None:
    cls = ClassHooksAsync if asgi else ClassHooksSync
    app = make_app()
    app.add_route('/things', cls())
    app.add_route('/things/items', cls(), suffix='items')
    client = Client(app)
    for method, path, text in (
        ('GET', '/things', 'get'),
        ('POST', '/things', 'post'),
        ('GET', '/things/items', 'items'),
    ):
        result = client.request(method, path)
        assert result.text == text
        assert result.headers['x-hooks'] == 'class=1'
        assert result.headers['x-after'] == 'class=1'
    # Names that only look like responders are left alone.
    assert getattr(cls.on_header, '__wrapped__', None) is None
    assert cls().helper() == 'untouched'


def test_stacked_class_hooks_run_outermost_first() -> None:
    order: list[str] = []

    def record(name: str) -> Any:
        def action(req: Any, resp: Any, resource: Any, params: Any) -> None:
            order.append(name)

        return action

    @lanner.before(record('outer'))
    @lanner.before(record('inner'))
    class Res:
        def on_get(self, req: Any, resp: Any) -> None:
            order.append('responder')

    Res().on_get(None, None)
    assert order == ['outer', 'inner', 'responder']


def test_hooks_on_inherited_responders_leave_the_base_class_alone() -> None:
    calls: list[str] = []

    class Base:
        def on_get(self, req: Any, resp: Any) -> None:
            calls.append('base')

    @lanner.before(lambda req, resp, resource, params: calls.append('hook'))
    class Child(Base):
        pass

    Child().on_get(None, None)
    assert calls == ['hook', 'base']
    calls.clear()
    Base().on_get(None, None)
    assert calls == ['base']


def test_action_receives_resource_and_extra_args() -> None:
    seen: list[Any] = []

    def action(req: Any, resp: Any, resource: Any, params: Any, *args: Any, **kwargs: Any) -> None:
        seen.append((resource, params, args, kwargs))

    class Res:
        @lanner.before(action, 1, 2, key='value')
        def on_get(self, req: Any, resp: Any, **params: Any) -> None:
            pass

    res = Res()
    res.on_get('req', 'resp', a='b')
    assert seen == [(res, {'a': 'b'}, (1, 2), {'key': 'value'})]


def test_positional_args_are_mapped_to_parameter_names() -> None:
    seen: list[Any] = []

    class Res:
        @lanner.before(lambda req, resp, resource, params: seen.append(dict(params)))
        def on_get(self, req: Any, resp: Any, first: str, second: str = 'x') -> None:
            seen.append((first, second))

    Res().on_get('req', 'resp', 'one', 'two')
    assert seen == [{'first': 'one', 'second': 'two'}, ('one', 'two')]
    with pytest.raises(TypeError, match='extra positional'):
        Res().on_get('req', 'resp', 'one', 'two', 'three')


def test_callable_object_action() -> None:
    class Counter:
        def __init__(self) -> None:
            self.count = 0

        def __call__(self, req: Any, resp: Any, resource: Any, params: Any) -> None:
            self.count += 1

    counter = Counter()

    class Res:
        @lanner.before(counter)
        def on_get(self, req: Any, resp: Any) -> None:
            pass

    Res().on_get(None, None)
    Res().on_get(None, None)
    assert counter.count == 2


def test_http_error_in_before_hook_still_runs_response_middleware(
    make_app: Any, asgi: bool
) -> None:
    seen: list[bool] = []

    def deny(req: Any, resp: Any, resource: Any, params: Any) -> None:
        raise lanner.HTTPStatus(lanner.HTTP_204)

    async def deny_async(req: Any, resp: Any, resource: Any, params: Any) -> None:
        deny(req, resp, resource, params)

    if asgi:

        class Res:
            @lanner.before(deny_async)
            async def on_get(self, req: Any, resp: Any) -> None:
                raise AssertionError('not reached')

    else:

        class Res:  # type: ignore[no-redef]
            @lanner.before(deny)
            def on_get(self, req: Any, resp: Any) -> None:
                raise AssertionError('not reached')

    app = make_app(
        middleware=middleware(asgi, process_response=lambda req, resp, r, ok: seen.append(ok))
    )
    app.add_route('/', Res())
    result = Client(app).get('/')
    assert result.status_code == 204
    assert seen == [False]


def test_hook_failure_is_a_500_not_a_crash(make_app: Any, asgi: bool) -> None:
    async def explode_async(req: Any, resp: Any, resource: Any) -> None:
        raise RuntimeError('after hook bug')

    def explode(req: Any, resp: Any, resource: Any) -> None:
        raise RuntimeError('after hook bug')

    if asgi:

        class Res:
            @lanner.after(explode_async)
            async def on_get(self, req: Any, resp: Any) -> None:
                resp.text = 'fine'

    else:

        class Res:  # type: ignore[no-redef]
            @lanner.after(explode)
            def on_get(self, req: Any, resp: Any) -> None:
                resp.text = 'fine'

    app = make_app()
    app.add_route('/', Res())
    result = Client(app).get('/')
    assert result.status_code == 500
    assert result.json == {'title': '500 Internal Server Error'}


def test_on_request_is_skipped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lanner.hooks, 'decorate_on_request', False)
    calls: list[str] = []

    with pytest.warns(UserWarning, match='on_request'):

        @lanner.before(lambda req, resp, resource, params: calls.append('hook'))
        class Res:
            def on_get(self, req: Any, resp: Any) -> None:
                calls.append('get')

            def on_request(self, req: Any, resp: Any) -> None:
                calls.append('request')

    Res().on_request(None, None)
    assert calls == ['request']
    Res().on_get(None, None)
    assert calls == ['request', 'hook', 'get']


def test_on_request_decorated_when_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lanner.hooks, 'decorate_on_request', True)
    calls: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter('error')

        @lanner.before(lambda req, resp, resource, params: calls.append('hook'))
        class Res:
            def on_request_items(self, req: Any, resp: Any) -> None:
                calls.append('request')

    Res().on_request_items(None, None)
    assert calls == ['hook', 'request']


def test_empty_suffix_is_not_a_responder() -> None:
    @lanner.before(lambda req, resp, resource, params: None)
    class Res:
        def on_head_(self, req: Any, resp: Any) -> None:
            pass

        def on_get_x(self, req: Any, resp: Any) -> None:
            pass

    assert not hasattr(Res.on_head_, '__wrapped__')
    assert hasattr(Res.on_get_x, '__wrapped__')


def test_sync_action_on_async_responder_is_rejected_at_decoration() -> None:
    def sync_action(req: Any, resp: Any, resource: Any, params: Any) -> None:
        pass

    with pytest.raises(lanner.CompatibilityError, match=r'sync_action.*async def'):

        class Res:
            @lanner.before(sync_action)
            async def on_get(self, req: Any, resp: Any) -> None:
                pass


def test_async_action_on_sync_responder_is_rejected_at_decoration() -> None:
    with pytest.raises(lanner.CompatibilityError, match=r'coroutine function.*synchronous'):

        @lanner.after(after_header_async, 'x')
        class Res:
            def on_get(self, req: Any, resp: Any) -> None:
                pass


def test_is_async_hint_for_undetectable_coroutine_responders(make_app: Any, asgi: bool) -> None:
    if not asgi:
        pytest.skip('ASGI only')

    async def impl(self: Any, req: Any, resp: Any) -> None:
        resp.text = 'hinted'

    def looks_sync(self: Any, req: Any, resp: Any) -> Any:
        return impl(self, req, resp)  # returns a coroutine object

    class Res:
        on_get = lanner.before(add_header_async, 'hint', is_async=True)(looks_sync)

    app = make_app()
    app.add_route('/', Res())
    result = Client(app).get('/')
    assert result.text == 'hinted'
    assert result.headers['x-hooks'] == 'hint=1'


def test_partial_of_coroutine_action_is_awaited(make_app: Any, asgi: bool) -> None:
    if not asgi:
        pytest.skip('ASGI only')

    class Res:
        @lanner.before(functools.partial(add_header_async, name='partial'))
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.text = 'ok'

    app = make_app()
    app.add_route('/', Res())
    assert Client(app).get('/').headers['x-hooks'] == 'partial=1'


def test_decorating_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match='responder method or a resource class'):
        lanner.before(convert_id)(42)


@pytest.mark.parametrize('decorator', [lanner.before, lanner.after])
def test_decorators_are_typed_as_returning_what_they_decorate(decorator: Any) -> None:
    # Under mypy --strict an untyped decorator (returning Any) erases the responder's signature;
    # these return Callable[[F], F] with F bound to callables (responders and classes alike).
    import collections.abc
    import typing

    returned = typing.get_type_hints(decorator)['return']
    assert typing.get_origin(returned) is collections.abc.Callable
    (param,), result = typing.get_args(returned)
    assert isinstance(param, typing.TypeVar) and param is result
    assert typing.get_origin(param.__bound__) is collections.abc.Callable

    class Res:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.text = 'ok'

    assert decorator(convert_id if decorator is lanner.before else after_header)(Res) is Res
