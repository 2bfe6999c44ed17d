"""Middleware of the portal's own."""

import logging
from collections.abc import Callable

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.log import log_response

logger = logging.getLogger(__name__)

# What Django raises while parsing a form body: a charset the bytes are not in (or that does
# not exist), a broken multipart body, too many fields or files, too many bytes.
UNREADABLE_BODY = (BadRequest, SuspiciousOperation, MultiPartParserError, UnicodeError, LookupError)
# The technicians' API reads no forms and needs no CSRF check: it answers a bad body itself,
# in JSON (tracking.errors).
API_PREFIX = "/api/"


def unreadable_body_is_a_bad_request(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Read a POST's form body once, before anything else does, and answer 400 when it cannot
    be read.

    Otherwise the CSRF check is the first to read `request.POST` and raises; Django's 400
    handler is wrapped in the same CSRF check, reads it again and raises again, and the
    client gets a 500 while the log gets a long traceback for every such request."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and not request.path.startswith(API_PREFIX):
            try:
                request.POST  # noqa: B018  (parsed here, kept on the request for later)
            except UNREADABLE_BODY as exc:
                response = HttpResponseBadRequest(
                    "The request body could not be read.", content_type="text/plain"
                )
                # One line with the reason, and Django's own line for a 4xx left out.
                log_response(
                    "Bad request body (%s: %s): %s %s",
                    type(exc).__name__,
                    str(exc)[:200],
                    request.method,
                    request.path,
                    response=response,
                    request=request,
                    logger=logger,
                )
                return response
        return get_response(request)

    return middleware
