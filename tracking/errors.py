"""Errors of the technicians' API, all in JSON: `{"detail": a sentence, "field": the field
at fault}` (no field when none is at fault), with `errors` listing each field's problem when
the input failed validation. Bad input is a 4xx, never a 500: a body that is not JSON or
too large, a wrong content type, a wrong method or path under the API too."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser

# Where ninja says a value came from; the field's name follows (a body's parameter name
# first, which the client never sees).
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
MAX_ERRORS = 50  # a 1,000-point batch can fail on every point; the first ones are enough


class Error(Schema):
    """What every error answer holds (some add more, e.g. the two states of a 409)."""

    detail: str
    field: str | None = None


class UnsupportedMediaType(Exception):
    pass


class JsonParser(Parser):
    """JSON bodies only: another content type is a 415, not a guess."""

    def parse_body(self, request: HttpRequest):
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(content_type)
        return super().parse_body(request)


def error(
    status: int,
    detail: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra,
) -> HttpResponse:
    body = {"detail": detail, **({"field": field} if field else {}), **extra}
    return JsonResponse(body, status=status, headers=headers)


def field_name(loc: list | tuple) -> str:
    """The field a ninja/pydantic error location names, as the client wrote it:
    ("body", "payload", "points", 3, "latitude") -> "points.3.latitude"."""
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in _SOURCES else "body"
    if source == "body" and parts:
        parts.pop(0)  # the view's parameter name
    return ".".join(str(p) for p in parts) or source


def install(api: NinjaAPI) -> None:
    """Answer every error of `api` in JSON (ninja's own handlers answer some in text or
    with the error's internals)."""

    @api.exception_handler(ValidationError)
    def invalid(request, exc: ValidationError):
        errors = [
            {"field": field_name(e.get("loc", ())), "message": _message(e)}
            for e in exc.errors[:MAX_ERRORS]
        ]
        first = errors[0] if errors else {"field": "body", "message": "Invalid."}
        detail = f"{first['field']}: {first['message']}"
        return error(422, detail, field=first["field"], errors=errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc: AuthenticationError):
        return error(
            401,
            "A valid device token is needed: pair the device, then send its token.",
            field="Authorization",
            headers={"WWW-Authenticate": "Bearer"},
        )

    @api.exception_handler(Throttled)
    def throttled(request, exc: Throttled):
        headers = {"Retry-After": str(exc.wait)} if exc.wait else None
        return error(429, "Too many requests. Wait, then try again.", headers=headers)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        cause = exc.__cause__
        if isinstance(cause, UnsupportedMediaType):
            return error(
                415, "Send the body as JSON (Content-Type: application/json).", field="Content-Type"
            )
        if cause is not None:  # ninja could not parse the body (JSON, or its encoding)
            return error(400, "The body is not valid JSON.", field="body")
        return error(exc.status_code, str(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc: RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error(413, f"The body is too large: at most {limit} bytes.", field="body")

    @api.exception_handler(PermissionDenied)
    def forbidden(request, exc: PermissionDenied):
        # allauth's rate limits raise it when the client's address cannot be told (a proxy
        # count that does not match the X-Forwarded-For header).
        return error(403, str(exc) or "Forbidden.")

    @api.exception_handler(Http404)
    def not_found_error(request, exc: Http404):
        return error(404, "Not found.")


def _message(error: dict) -> str:
    # pydantic prefixes the message of a ValueError raised by a validator.
    return str(error.get("msg", "Invalid.")).removeprefix("Value error, ")


@csrf_exempt
def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Any other path under the API."""
    return error(404, "No such endpoint. The endpoints are in openapi.json.")


def json_errors(view: Callable) -> Callable:
    """One of ninja's views, with what ninja answers outside its exception handlers (a
    wrong method in text, its root's 404 in HTML) answered in JSON, and HEAD answered as
    GET (the server leaves the body out), as everywhere in the portal. No view of the API
    uses cookies, so none needs the CSRF check."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        finally:
            if head:
                request.method = "HEAD"  # which the server reads to leave the body out
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            allowed = response["Allow"]
            return error(405, f"Use {allowed} here.", field="method", headers={"Allow": allowed})
        return response

    return wrapper
