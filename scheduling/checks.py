"""Start-up checks of scheduling's settings: a bad value stops `manage.py check`, `migrate`
and `runserver` with a message naming the setting, instead of failing at first use (a
geocoder saving a site in admin, a customer's page in the default zone)."""

import zoneinfo

from django.conf import settings
from django.core.checks import CheckMessage, Error

from scheduling.geocoding import is_known_geocoder

# The checks of settings: servers that run no system checks (gunicorn, Celery) run these at
# start (portal.startup).
SETTINGS_TAG = "settings"


def check_settings(app_configs=None, **kwargs) -> list[CheckMessage]:
    errors = []
    if not is_known_geocoder(settings.GEOCODER):
        errors.append(
            Error(
                f'GEOCODER must be "offline" or a geopy service name such as "nominatim", '
                f"not {settings.GEOCODER!r}",
                hint="geopy's names are listed in geopy.geocoders.SERVICE_TO_GEOCODER.",
                id="scheduling.E001",
            )
        )
    if settings.PORTAL_DEFAULT_TIME_ZONE not in zoneinfo.available_timezones():
        errors.append(
            Error(
                "PORTAL_DEFAULT_TIME_ZONE must be a time zone name such as Europe/Oslo, "
                f"not {settings.PORTAL_DEFAULT_TIME_ZONE!r}",
                id="scheduling.E002",
            )
        )
    return errors
