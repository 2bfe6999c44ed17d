"""Hostile requests on every URL of the project: none gets a server error.

Hypothesis draws a URL pattern (the resolver walked; path parameters filled with the
customer's own, another customer's and missing ids, or junk), a method, htmx headers, a
body (forms, multipart with bad boundaries, charsets the bytes are not in, huge or too many
fields) and who asks (a customer, a user without a site, nobody), and sends it through
Django's test client with the CSRF checks on and DEBUG off. No answer may be a 5xx, and a
HEAD must get what the same GET gets. Every example runs in a savepoint that is rolled back,
so each starts from the same data.

`make test` runs a fixed set of examples so that it is repeatable; draw fresh ones with, e.g.,
`FUZZ_EXAMPLES=5000 make test PYTEST_ARGS=tests/test_fuzz.py`.
"""

import os
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from scheduling.models import Appointment, SchedulingSettings
from tests.factories import (
    CustomerFactory,
    ResourceFactory,
    ServiceAccountFactory,
    UserFactory,
)
from tests.support.clock import next_weekday_at

pytestmark = pytest.mark.django_db

# Hypothesis draws the first entries of a list most often: each list below starts with what
# most needs trying (a POST, a malformed URL, a browser's own origin).
# A fixed set of examples in `make test`; FUZZ_EXAMPLES=n draws n fresh ones each run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1200"))
EXPLORE = "FUZZ_EXAMPLES" in os.environ
CSRF_SECRET = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # 32 characters, as Django's secrets are
METHODS = ["POST", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"]
FORM_FIELDS = [
    "code", "product", "service_type", "day", "start", "comments", "token", "refresh",
    "reason", "appointment", "first_name", "last_name", "phone", "time_zone", "password1",
    "password2", "login", "password", "email", "remember", "tab", "next", "action",
    "_selected_action", "index", "q", "o", "p", "all",
]  # fmt: skip
JUNK = ["", "0", "-1", "1.5", "abc", "../..", "%00", "null", "é", "\x00", "9" * 40]
APP_LABELS = ["portal", "scheduling", "auth", "account", "socialaccount"]
BOUNDARIES = [
    "", "; boundary=", "; boundary=x", "; boundary=" + "b" * 80, "; boundary=\x7f",
    f"; boundary={BOUNDARY}", f'; boundary="{BOUNDARY}"',
]  # fmt: skip
REFERERS = ["https://testserver/", "https://evil.example/", "::"]
CHARSETS = [None, "utf-16", "utf-8", "latin-1", "utf-7", "no-such-charset", ""]
CURRENT_URLS = [
    "http://[::1", "http://[", "https://[x]/", "http://]", "https://testserver:99999/",
    "https://testserver/book/", "://", "", "https://evil.example/", "javascript:alert(1)",
]  # fmt: skip
# Bodies past Django's limits: more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS, more than
# DATA_UPLOAD_MAX_MEMORY_SIZE bytes.
TOO_MANY_FIELDS = "&".join(f"f{i}=1" for i in range(1200)).encode()
TOO_BIG = b"comments=" + b"x" * (3 * 1024 * 1024)


@dataclass(frozen=True)
class Route:
    """A URL pattern as a template: `{name}` where a path parameter goes."""

    template: str
    ints: frozenset[str] = field(default_factory=frozenset)  # parameters the int converter takes
    names: tuple[str, ...] = ()


_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()\\]|\\.)*\)")


def _piece(pattern) -> Route:
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        params = list(_ROUTE_PARAMETER.finditer(text))
        ints = frozenset(m["name"] for m in params if m["converter"] == "int")
        template = _ROUTE_PARAMETER.sub(lambda m: "{" + m["name"] + "}", text)
        return Route(template, ints, tuple(m["name"] for m in params))
    if isinstance(pattern, RegexPattern):
        text = str(pattern).removeprefix("^").removesuffix("$")
        names = tuple(m["name"] for m in _REGEX_GROUP.finditer(text))
        return Route(_REGEX_GROUP.sub(lambda m: "{" + m["name"] + "}", text), names=names)
    raise TypeError(f"no template for {pattern!r}")


def all_routes() -> list[Route]:
    """Every URL pattern of the project, the included ones (allauth, admin) too."""

    def walk(patterns, prefix: Route):
        for entry in patterns:
            piece = _piece(entry.pattern)
            route = Route(
                prefix.template + piece.template,
                prefix.ints | piece.ints,
                prefix.names + piece.names,
            )
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            else:
                yield route

    return list(walk(get_resolver().url_patterns, Route("/")))


@dataclass(frozen=True)
class Cast:
    """The data every example starts from: whose ids a hostile client can try."""

    appointment_ids: list[int]  # the customer's own, another customer's, missing
    user_ids: list[int]
    days: list[str]
    starts: list[str]
    sessions: dict[str, str]  # who -> session key


@pytest.fixture
def cast(repair) -> Cast:
    SchedulingSettings.current()  # created here, not in an example's rolled-back savepoint
    site, elsewhere = ServiceAccountFactory(), ServiceAccountFactory()
    technician = ResourceFactory(territories=[site.territory, elsewhere.territory])
    customer = CustomerFactory(service_account=site)
    other = CustomerFactory(service_account=elsewhere)
    nobody = UserFactory()  # signed in, but no site of their own
    start = next_weekday_at("10:00")
    product = repair.products.first()

    def visit(who, account, at, status=Appointment.Status.SCHEDULED):
        return Appointment.objects.create(
            service_account=account, customer=who, product=product, service_type=repair,
            resource=technician, start=at, end=at + timedelta(hours=1),
            status=status,
        )  # fmt: skip

    own = visit(customer, site, start)
    done = visit(customer, site, start - timedelta(days=7), Appointment.Status.COMPLETED)
    theirs = visit(other, elsewhere, start + timedelta(hours=2))
    sessions = {}
    for name, user in {"customer": customer, "no site": nobody}.items():
        client = Client()
        client.force_login(user)
        sessions[name] = client.session.session_key
    return Cast(
        appointment_ids=[own.pk, done.pk, theirs.pk, theirs.pk + 1000],
        user_ids=[customer.pk, other.pk, nobody.pk],
        days=[start.date().isoformat(), (start + timedelta(days=400)).date().isoformat()],
        # offered, off the grid, without a zone
        starts=[
            t.isoformat() for t in (start, start + timedelta(minutes=7), start.replace(tzinfo=None))
        ],
        sessions=sessions,
    )


@dataclass
class HostileRequest:
    method: str
    path: str
    who: str
    headers: dict[str, str]
    content_type: str | None
    body: bytes
    csrf_cookie: bool

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path} as {self.who}, headers {self.headers}, "
            f"content type {self.content_type!r}, body {self.body[:300]!r} ({len(self.body)} bytes)"
        )

    __repr__ = __str__  # Hypothesis prints the failing example; keep huge bodies short


def _values(cast: Cast) -> st.SearchStrategy[str]:
    ids = [str(i) for i in cast.appointment_ids + cast.user_ids]
    return st.one_of(
        st.sampled_from(ids + cast.days + cast.starts + JUNK),
        st.text(max_size=30),
        st.just("x" * 100_000),
    )


def _form(cast: Cast, max_size: int = 6) -> st.SearchStrategy[dict[str, str]]:
    keys = st.one_of(st.sampled_from(FORM_FIELDS), st.text(min_size=1, max_size=10))
    return st.dictionaries(keys, _values(cast), max_size=max_size)


def _param(cast: Cast, is_int: bool) -> st.SearchStrategy[str]:
    ids = cast.appointment_ids + cast.user_ids + [0, 2**31, 2**63, 10**30]
    if is_int:
        return st.sampled_from([str(i) for i in ids])
    return st.one_of(
        st.sampled_from([str(i) for i in ids] + APP_LABELS + JUNK[1:]),
        st.text(min_size=1, max_size=20).map(lambda text: quote(text, safe="")),
    )


@st.composite
def _path(draw, cast: Cast, groups: list[list[Route]]) -> str:
    # Our own views first among equals: one draw picks the group (the project's pages,
    # allauth's, admin's), the next a pattern in it.
    route = draw(st.sampled_from(draw(st.sampled_from(groups))))
    values = {name: draw(_param(cast, name in route.ints)) for name in route.names}
    path = re.sub(r"\{(\w+)\}", lambda m: values[m[1]], route.template)
    query = draw(_form(cast, max_size=3))
    return f"{path}?{urlencode(query)}" if query else path


@st.composite
def _body(draw, cast: Cast, csrf_field: bool) -> tuple[str | None, bytes]:
    form = draw(_form(cast))
    if csrf_field:
        form["csrfmiddlewaretoken"] = CSRF_SECRET
    charset = draw(st.sampled_from(CHARSETS))
    suffix = f"; charset={charset}" if charset is not None else ""
    raw = draw(st.binary(max_size=200))
    kind = draw(
        st.sampled_from(
            ["form", "form bytes", "multipart", "multipart broken", "none", "other",
             "too many fields", "too big", "too many files"]
        )
    )  # fmt: skip
    urlencoded = "application/x-www-form-urlencoded"
    if kind == "none":
        return None, b""
    if kind == "form":
        return urlencoded + suffix, urlencode(form).encode()
    if kind == "form bytes":
        return urlencoded + suffix, raw
    if kind == "multipart":
        return MULTIPART_CONTENT + suffix, encode_multipart(BOUNDARY, form)
    if kind == "multipart broken":
        body = encode_multipart(BOUNDARY, form) + raw
        cut = draw(st.integers(min_value=0, max_value=len(body)))
        boundary = draw(st.sampled_from(BOUNDARIES))
        return "multipart/form-data" + boundary + suffix, body[:cut]
    if kind == "too many fields":
        return urlencoded + suffix, TOO_MANY_FIELDS
    if kind == "too big":
        return urlencoded + suffix, TOO_BIG
    if kind == "too many files":
        files = [SimpleUploadedFile(f"f{i}.txt", b"x") for i in range(120)]
        return MULTIPART_CONTENT, encode_multipart(BOUNDARY, {"file": files})
    content_type = draw(st.sampled_from(["application/json", "text/plain", "text/html"]))
    return content_type + suffix, raw


@st.composite
def _headers(draw) -> dict[str, str]:
    """Headers in bundles, as clients send them: htmx's together, a browser's origin."""
    headers = {}
    if draw(st.booleans()):
        headers["HX-Request"] = "true"
        headers["HX-Current-URL"] = draw(st.one_of(st.sampled_from(CURRENT_URLS), st.text()))
        optional = {
            "HX-Target": st.sampled_from(["booking-form", "slots", "redeem-form", "#x", "é" * 300]),
            "HX-Trigger": st.sampled_from(["day", "product", "\x7f"]),
            "HX-Boosted": st.just("true"),
            "HX-Current-URL-AutoEncoded": st.just("true"),
        }
        for name, values in optional.items():
            if draw(st.booleans()):
                headers[name] = draw(values)
    # Mostly as a browser posts (its own origin), so that bodies get past the CSRF check.
    origin = draw(
        st.sampled_from(["https://testserver"] * 3 + [None, "https://evil.example", "null"])
    )
    if origin:
        headers["Origin"] = origin
    elif draw(st.booleans()):
        headers["Referer"] = draw(st.sampled_from(REFERERS))
    token = draw(st.sampled_from([None, CSRF_SECRET, "x" * 32, "short"]))
    if token:
        headers["X-CSRFToken"] = token
    if draw(st.booleans()):
        headers["X-Forwarded-For"] = draw(st.sampled_from(["203.0.113.5", "not an address", ""]))
    if draw(st.booleans()):
        headers["Accept"] = draw(st.sampled_from(["application/json", "text/html", "*/*"]))
    # Header values reach WSGI as latin-1 strings; send what a client's bytes would become.
    return {
        name: value.encode("utf-8", "replace").decode("latin-1") for name, value in headers.items()
    }


def hostile_requests(cast: Cast, routes: list[Route]) -> st.SearchStrategy[HostileRequest]:
    admin = [r for r in routes if r.template.startswith("/admin/")]
    accounts = [r for r in routes if r.template.startswith("/accounts/")]
    ours = [r for r in routes if r not in admin and r not in accounts]

    @st.composite
    def build(draw) -> HostileRequest:
        headers = draw(_headers())
        content_type, body = draw(_body(cast, csrf_field=draw(st.booleans())))
        return HostileRequest(
            method=draw(st.sampled_from(METHODS)),
            path=draw(_path(cast, [ours, accounts, admin])),
            who=draw(st.sampled_from(["nobody", "customer", "no site"])),
            headers=headers,
            content_type=content_type,
            body=body,
            csrf_cookie=draw(st.sampled_from([True, True, False])),
        )

    return build()


def send(request: HostileRequest, cast: Cast):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if request.csrf_cookie:
        client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    if request.who in cast.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = cast.sessions[request.who]
    extra = {"content_type": request.content_type} if request.content_type else {}
    return client.generic(
        request.method, request.path, request.body, secure=True, headers=request.headers, **extra
    )


def test_the_routes_cover_every_app():
    templates = [route.template for route in all_routes()]
    assert "/appointments/{pk}/modify/" in templates
    assert "/accounts/password/reset/key/{uidb36}-{key}/" in templates
    assert "/admin/scheduling/appointment/{object_id}/change/" in templates


@pytest.fixture
def production(settings):
    """What changes with DJANGO_DEBUG=false, short of collected static files."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    # No Celery worker runs here, and every example is rolled back before a task could be
    # enqueued on commit; without a broker a health probe checks the database and the cache.
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _answer(request: HostileRequest, cast: Cast):
    """The response, from a savepoint rolled back afterwards and with no rate limits used."""
    with transaction.atomic():
        cache.clear()
        try:
            return send(request, cast)
        except Exception as exc:  # the error handlers failed too: the server answers 500
            pytest.fail(f"{request}: raised {exc!r}")
        finally:
            transaction.set_rollback(True)


def test_no_hostile_request_gets_a_server_error(cast, production):
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=hostile_requests(cast, all_routes()))
    def no_server_error(request: HostileRequest) -> None:
        response = _answer(request, cast)
        failure = getattr(response, "exc_info", None)
        assert response.status_code < 500, f"{request}: {failure and failure[1]!r}"
        if request.method == "HEAD":
            # HEAD is GET without the body: the same answer, whatever the page.
            get = _answer(replace(request, method="GET"), cast)
            assert response.status_code == get.status_code, f"{request}: GET {get.status_code}"

    no_server_error()
