"""lanner.media.validators.jsonschema.validate on sync and async responders."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import jsonschema as jsonschema_lib
import pytest
from support.harness import Client

import lanner
from lanner.media.validators import jsonschema

SCHEMA = {
    'type': 'object',
    'properties': {
        'name': {'type': 'string', 'minLength': 1},
        'email': {'type': 'string', 'format': 'email'},
        'children': {'type': 'array', 'items': {'$ref': '#'}},
    },
    'required': ['name'],
}


class FakeReq:
    """A WSGI request as the validator sees it: only ``req.media``, which Falcon reads."""

    def __init__(self, media: Any) -> None:
        self._media = media
        self.calls = 0

    @property
    def media(self) -> Any:
        self.calls += 1
        return self._media


class FakeAsyncReq(FakeReq):
    async def get_media(self) -> Any:
        self.calls += 1
        return self._media


class FakeResp:
    media: Any = None


def test_sync_request_validation() -> None:
    class Thing:
        @jsonschema.validate(req_schema=SCHEMA)
        def on_post(self, req: Any, resp: Any, thing_id: str = '') -> str:
            return f'ok {thing_id}'

    assert Thing().on_post(FakeReq({'name': 'x'}), FakeResp(), thing_id='7') == 'ok 7'
    with pytest.raises(lanner.MediaValidationError) as info:
        Thing().on_post(FakeReq({'name': ''}), FakeResp())
    err = info.value
    assert err.status_code == 400
    assert err.title == 'Request data failed validation'
    assert "'' should be non-empty" in err.description or 'too short' in err.description
    assert isinstance(err.__cause__, jsonschema_lib.ValidationError)


def test_format_checker_is_used() -> None:
    class Thing:
        @jsonschema.validate(req_schema=SCHEMA)
        def on_post(self, req: Any, resp: Any) -> None:
            pass

    Thing().on_post(FakeReq({'name': 'x', 'email': 'a@example.com'}), FakeResp())
    with pytest.raises(lanner.MediaValidationError) as info:
        Thing().on_post(FakeReq({'name': 'x', 'email': 'not-an-email'}), FakeResp())
    assert 'email' in info.value.description


def test_response_validation_is_500() -> None:
    class Thing:
        @jsonschema.validate(resp_schema=SCHEMA)
        def on_get(self, req: Any, resp: Any) -> None:
            resp.media = {'nope': 1}

    with pytest.raises(lanner.HTTPInternalServerError) as info:
        Thing().on_get(FakeReq(None), FakeResp())
    assert info.value.title == 'Response data failed validation'
    assert isinstance(info.value.__cause__, jsonschema_lib.ValidationError)


def test_no_request_schema_does_not_read_media() -> None:
    class Thing:
        @jsonschema.validate(resp_schema=SCHEMA)
        def on_get(self, req: Any, resp: Any) -> None:
            resp.media = {'name': 'ok'}

    req = FakeReq(None)
    Thing().on_get(req, FakeResp())
    assert req.calls == 0


def test_async_responders() -> None:
    class Thing:
        @jsonschema.validate(req_schema=SCHEMA, resp_schema=SCHEMA)
        async def on_post(self, req: Any, resp: Any) -> None:
            resp.media = await req.get_media()

    assert asyncio.iscoroutinefunction(Thing.on_post)
    resp = FakeResp()
    asyncio.run(Thing().on_post(FakeAsyncReq({'name': 'a'}), resp))
    assert resp.media == {'name': 'a'}
    with pytest.raises(lanner.MediaValidationError):
        asyncio.run(Thing().on_post(FakeAsyncReq({}), FakeResp()))


def test_deep_document_with_recursive_schema_is_400() -> None:
    doc: Any = {'name': 'leaf'}
    for _ in range(1000):
        doc = {'name': 'n', 'children': [doc]}

    class Thing:
        @jsonschema.validate(req_schema=SCHEMA)
        def on_post(self, req: Any, resp: Any) -> None:
            pass

    with pytest.raises(lanner.MediaValidationError) as info:
        Thing().on_post(FakeReq(doc), FakeResp())
    assert 'nested too deeply' in info.value.description


def test_invalid_schema_fails_at_decoration_time() -> None:
    with pytest.raises(jsonschema_lib.SchemaError):
        jsonschema.validate(req_schema={'type': 'no-such-type'})


def test_missing_jsonschema_has_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, 'jsonschema', None)
    with pytest.raises(ImportError, match=r'pip install "lanner-core\[jsonschema\]"'):
        jsonschema.validate(req_schema=SCHEMA)


def test_through_the_app(make_app: Any, asgi: bool) -> None:
    if asgi:

        class Thing:
            @jsonschema.validate(req_schema=SCHEMA, resp_schema=SCHEMA)
            async def on_post(self, req: Any, resp: Any) -> None:
                media = await req.get_media()
                resp.media = media if media['name'] != 'bad-response' else {}

    else:

        class Thing:  # type: ignore[no-redef]
            @jsonschema.validate(req_schema=SCHEMA, resp_schema=SCHEMA)
            def on_post(self, req: Any, resp: Any) -> None:
                media = req.get_media()
                resp.media = media if media['name'] != 'bad-response' else {}

    app = make_app()
    app.add_route('/things', Thing())
    client = Client(app)
    assert client.post('/things', json={'name': 'ok'}).json == {'name': 'ok'}
    bad = client.post('/things', json={'name': 5})
    assert bad.status_code == 400
    assert bad.json['title'] == 'Request data failed validation'
    assert bad.json['description'] == "5 is not of type 'string'"
    assert client.post('/things', json={'name': 'bad-response'}).status_code == 500


def test_package_attribute_reaches_the_submodule() -> None:
    # Falcon's spelling: validators.jsonschema.validate without importing the submodule.
    from lanner.media import validators

    assert validators.jsonschema is jsonschema
    assert validators.__all__ == ('jsonschema',)
