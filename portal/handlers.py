"""Two Django request handlers over the same apps and URLs, chosen by path: the technicians'
JSON API (API_PATH_PREFIX) runs through API_MIDDLEWARE, every other request through
MIDDLEWARE.

An API request carries a bearer token and no cookie: sessions, CSRF, messages, the signed-in
user, htmx, allauth and a page's Content-Security-Policy have nothing to do for it, yet their
middleware was an eighth of a location batch's work (README.md, "Speed"). Django builds a
handler's middleware chain once, from settings.MIDDLEWARE, when the handler is made; the
API's handler is made with its own list in that place."""

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application


class MiddlewareOf(WSGIHandler):
    """Django's WSGI handler, through `middleware` instead of settings.MIDDLEWARE."""

    def __init__(self, middleware: list[str]):
        self._middleware = middleware
        super().__init__()

    def load_middleware(self, is_async=False):
        everyone = settings.MIDDLEWARE
        settings.MIDDLEWARE = self._middleware
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = everyone


def wsgi_application():
    pages = get_wsgi_application()  # sets Django up too
    api = MiddlewareOf(settings.API_MIDDLEWARE)
    prefix = settings.API_PATH_PREFIX

    def application(environ, start_response):
        handler = api if environ.get("PATH_INFO", "").startswith(prefix) else pages
        return handler(environ, start_response)

    return application
