"""The time-zone select: the zones for common use grouped by region, no aliases; another name
of a listed zone counts as it; the device's zone suggested only while there is none."""

import html
import json
import re
import zoneinfo

import pytest
from django.urls import reverse

from common import timezones
from portal.views import REDEEM_SESSION_KEY
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db
PROFILE = reverse("portal:profile")


def _select(page: str) -> str:
    return re.search(r'<select name="time_zone".*?</select>', page, re.DOTALL)[0]


def _form(time_zone: str) -> dict:
    return {"first_name": "Alice", "last_name": "A", "phone": "", "time_zone": time_zone}


def test_zones_are_grouped_by_region_without_aliases(alice_client):
    select = _select(alice_client.get(PROFILE).content.decode())
    regions = re.findall(r'<optgroup label="([^"]+)">', select)
    values = re.findall(r'<option value="([^"]+)"', select)

    assert regions == [
        "Africa", "Americas", "Antarctica", "Arctic", "Asia", "Atlantic Ocean", "Australia",
        "Europe", "Indian Ocean", "Pacific Ocean",
    ]  # fmt: skip
    assert values[0] == "UTC"
    assert len(values) == len(set(values)) == 419
    assert set(values) <= zoneinfo.available_timezones()
    for alias in ("US/Eastern", "US/Pacific", "Asia/Calcutta", "Etc/GMT+5", "GMT", "Zulu"):
        assert f'value="{alias}"' not in select
    assert '<option value="Europe/Oslo">Oslo (Norway)</option>' in select
    assert (
        '<option value="America/Los_Angeles" selected>Los Angeles (United States, Pacific)'
        in select
    )
    europe = re.search(r'<optgroup label="Europe">(.*?)</optgroup>', select, re.DOTALL)[1]
    assert "Europe/Oslo" in europe and "America/" not in europe


def test_another_name_of_a_listed_zone_is_saved_as_the_listed_one(alice_client, alice):
    response = alice_client.post(PROFILE, _form("US/Eastern"))
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == "America/New_York"


def test_a_zone_outside_the_list_is_a_form_error(alice_client, alice):
    for bad in ("Etc/GMT+5", "Mars/Olympus_Mons", ""):
        response = alice_client.post(PROFILE, _form(bad))
        assert response.status_code == 200
        assert "time_zone" in response.context["form"].errors
    alice.refresh_from_db()
    assert alice.time_zone == "America/Los_Angeles"


def test_a_stored_alias_shows_as_its_listed_zone(alice_client, alice):
    alice.time_zone = "US/Mountain"
    alice.save()
    select = _select(alice_client.get(PROFILE).content.decode())
    assert '<option value="America/Denver" selected>' in select


def test_a_stored_zone_outside_the_list_stays_offered_and_kept(alice_client, alice):
    alice.time_zone = "Etc/GMT+5"  # set in admin
    alice.save()
    select = _select(alice_client.get(PROFILE).content.decode())
    assert re.search(
        r'<optgroup label="Your current zone">\s*<option value="Etc/GMT\+5" selected>', select
    )
    assert alice_client.post(PROFILE, _form("Etc/GMT+5")).status_code == 302
    alice.refresh_from_db()
    assert alice.time_zone == "Etc/GMT+5"


def test_the_device_zone_is_suggested_only_while_the_customer_has_none(alice_client, alice):
    assert "data-suggest" not in _select(alice_client.get(PROFILE).content.decode())
    alice.time_zone = ""
    alice.save()
    page = alice_client.get(PROFILE).content.decode()
    assert 'data-suggest="device"' in _select(page)
    assert '<script src="/static/js/time-zone.js" defer></script>' in page
    # A form sent back with errors keeps what the customer chose.
    page = alice_client.post(PROFILE, {**_form("Europe/Oslo"), "first_name": ""})
    assert "data-suggest" not in _select(page.content.decode())


def test_create_profile_suggests_the_device_zone(client):
    invitation = InvitationFactory()
    session = client.session
    session[REDEEM_SESSION_KEY] = invitation.pk
    session.save()
    page = client.get(reverse("portal:create_profile")).content.decode()
    assert 'data-suggest="device"' in _select(page)
    assert '<option value="America/Los_Angeles" selected>' in _select(page)


def test_the_page_carries_the_aliases_browsers_may_report(alice_client):
    page = alice_client.get(PROFILE).content.decode()
    data = re.search(r'<script id="time-zone-aliases" type="application/json">(.*?)</script>', page)
    aliases = json.loads(html.unescape(data[1]))
    assert aliases["Asia/Calcutta"] == "Asia/Kolkata"
    assert aliases["US/Pacific"] == "America/Los_Angeles"
    assert aliases["Etc/UTC"] == "UTC"
    assert set(aliases.values()) <= timezones.names()


def test_canonical_names():
    assert timezones.canonical("Europe/Oslo") == "Europe/Oslo"  # listed, though a link
    assert timezones.canonical("Europe/Kiev") == "Europe/Kyiv"
    assert timezones.canonical("GMT") == "UTC"
    assert timezones.canonical("Etc/GMT+5") is None
    assert timezones.canonical("Nowhere/Atlantis") is None
