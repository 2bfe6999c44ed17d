"""Addresses become coordinates and a time zone; a failed lookup flags, never crashes."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from scheduling import geocoding
from scheduling.geocoding import fill_location
from scheduling.models import ServiceAccount
from tests.factories import ServiceAccountFactory, TerritoryFactory
from tests.support.mfa import sign_in_with_totp


class _Nominatim(BaseHTTPRequestHandler):
    """Answers /search like Nominatim: Space Needle for "Broad St", nothing for the rest,
    and a 503 for addresses mentioning "outage"."""

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query).get("q", [""])[0]
        if "outage" in query:
            self.send_response(503)
            self.end_headers()
            return
        hits = (
            [{"lat": "47.6205", "lon": "-122.3493", "display_name": "Space Needle"}]
            if "Broad St" in query
            else []
        )
        body = json.dumps(hits).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def nominatim(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Nominatim)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.GEOCODER = "nominatim"
    settings.GEOCODER_DOMAIN = f"127.0.0.1:{server.server_port}"
    settings.GEOCODER_SCHEME = "http"
    settings.GEOCODER_TIMEOUT = 2
    yield server
    server.shutdown()


def test_the_offline_geocoder_finds_a_known_city():
    found = geocoding.locate("1201 Alki Ave SW, Seattle, WA 98116")
    assert (round(found.latitude, 2), round(found.longitude, 2)) == (47.61, -122.33)
    assert found.time_zone == "America/Los_Angeles"


def test_the_offline_geocoder_says_when_it_knows_no_place():
    with pytest.raises(geocoding.LocationNotFound, match="found no place"):
        geocoding.locate("1 Nowhere Lane, Atlantis")


def test_a_real_geocoder_service_is_called_through_geopy(nominatim):
    found = geocoding.locate("400 Broad St, Seattle")
    assert (found.latitude, found.longitude) == (47.6205, -122.3493)
    assert found.time_zone == "America/Los_Angeles"


def test_a_geocoder_outage_is_a_message_not_a_crash(nominatim):
    with pytest.raises(geocoding.LocationNotFound, match="did not answer"):
        geocoding.locate("outage street 1")


@pytest.mark.django_db
def test_an_account_without_a_location_is_flagged(nominatim):
    account = ServiceAccountFactory.build(
        address="outage street 1", latitude=None, longitude=None, time_zone=""
    )
    assert fill_location(account=account) is False
    assert account.needs_location
    assert "did not answer" in account.location_error


@pytest.mark.django_db
def test_coordinates_typed_by_hand_get_their_time_zone():
    account = ServiceAccountFactory.build(latitude=59.91, longitude=10.75, time_zone="")
    assert fill_location(account=account)
    assert account.time_zone == "Europe/Oslo"


@pytest.mark.django_db
def test_admin_locates_a_new_account_and_flags_one_it_cannot(client, dispatcher):
    sign_in_with_totp(client, dispatcher)
    territory = TerritoryFactory(name="Seattle")
    add = reverse("admin:scheduling_serviceaccount_add")

    client.post(add, {"name": "Found", "address": "1 Pike St, Seattle", "territory": territory.pk})
    response = client.post(
        add,
        {"name": "Lost", "address": "1 Nowhere Lane", "territory": territory.pk},
        follow=True,
    )

    found = ServiceAccount.objects.get(name="Found")
    assert not found.needs_location and found.time_zone == "America/Los_Angeles"
    lost = ServiceAccount.objects.get(name="Lost")
    assert lost.needs_location
    assert "Lost needs a location" in response.content.decode()
    listed = client.get(
        reverse("admin:scheduling_serviceaccount_changelist"), {"location": "missing"}
    )
    assert [a.name for a in listed.context["cl"].result_list] == ["Lost"]


@pytest.mark.django_db
def test_admin_refuses_half_a_location(client, dispatcher):
    sign_in_with_totp(client, dispatcher)
    territory = TerritoryFactory()
    response = client.post(
        reverse("admin:scheduling_serviceaccount_add"),
        {"name": "Half", "address": "x", "territory": territory.pk, "latitude": "47.6"},
    )
    assert response.status_code == 200
    assert "Give both latitude and longitude, or neither." in response.content.decode()
