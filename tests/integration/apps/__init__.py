"""Small apps served by the integration suites (uvicorn and wsgiref, in subprocesses)."""
