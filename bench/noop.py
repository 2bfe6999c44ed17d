"""A WSGI app that does nothing: the load generator's ceiling.

Served by gunicorn with the same worker settings as the portal, it answers every request at
once, so the requests per second the load generator reaches against it are the most any
endpoint can show in a run; an endpoint near that figure is measured against the generator.
"""

from collections.abc import Callable, Iterable

_BODY = b"ok"
_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(_BODY)))]


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    start_response("200 OK", _HEADERS)
    return [_BODY]
