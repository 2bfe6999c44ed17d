"""htmx's headers come from the client: a malformed one is ignored, never a server error."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("current_url", ["http://[::1", "http://[", "https://[not-an-ip]/book/"])
@pytest.mark.parametrize("page", ["scheduling:book", "scheduling:slots"])
def test_a_malformed_current_url_is_treated_as_absent(settings, page, current_url):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)

    response = client.get(
        reverse(page), headers={"HX-Request": "true", "HX-Current-URL": current_url}
    )

    # Signed out: the whole page goes to sign in, and back to the page asked for.
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/accounts/login/?next={reverse(page)}"
