def test_smoke(server):
    server.assert_serving()
    print(server.stats())
    r = server.get('/items/3?limit=5'); print(r)
    r = server.get('/stream?chunks=3'); print(r)
    r = server.get('/sse?chunks=3'); print(r)
    r = server.get('/static/hello.txt'); print(r)
    r = server.get('/inject/set_header?v=%0d%0aX-Injected:%201'); print(r)
