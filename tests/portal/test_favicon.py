"""The portal's pages name its icon, and the icon is served."""

import re
import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _icon_href(html: str) -> str:
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert link, "no icon link in the page"
    return link.group(1)


def test_the_pages_link_the_icon_and_it_is_served(alice_client, live_server):
    signed_out = Client().get(reverse("account_login")).content.decode()
    signed_in = alice_client.get(reverse("portal:home")).content.decode()
    href = _icon_href(signed_out)
    assert _icon_href(signed_in) == href
    assert href.endswith(".svg")

    with urllib.request.urlopen(live_server.url + href) as response:  # noqa: S310 (our server)
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/svg+xml"
        assert response.read().lstrip().startswith(b"<svg")
