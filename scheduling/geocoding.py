"""Addresses to coordinates through geopy, and coordinates to a time zone.

`GEOCODER` picks the service: any geopy service name (e.g. "nominatim") in production, or
"offline", a small built-in gazetteer of cities, for the demo and for machines without network.
Both answer the same `geocode(query, exactly_one=True)` call, so the code path is the same.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from geopy.exc import GeocoderNotFound, GeopyError
from geopy.geocoders import get_geocoder_for_service
from geopy.location import Location
from geopy.point import Point
from timezonefinder import TimezoneFinder

if TYPE_CHECKING:
    from scheduling.models import ServiceAccount

# City centres; enough for demo data and tests. Longer names first so "West Seattle"
# would win over "Seattle".
GAZETTEER: dict[str, tuple[float, float]] = {
    "Seattle": (47.6062, -122.3321),
    "Bellevue": (47.6101, -122.2015),
    "Redmond": (47.6740, -122.1215),
    "Kirkland": (47.6769, -122.2060),
    "Bothell": (47.7601, -122.2054),
    "Renton": (47.4829, -122.2171),
    "Kent": (47.3809, -122.2348),
    "Issaquah": (47.5301, -122.0326),
    "Everett": (47.9790, -122.2021),
    "Tacoma": (47.2529, -122.4443),
    "Olympia": (47.0379, -122.9007),
    "Portland": (45.5152, -122.6784),
    "Spokane": (47.6588, -117.4260),
    "New York": (40.7128, -74.0060),
    "Chicago": (41.8781, -87.6298),
    "London": (51.5072, -0.1276),
    "Berlin": (52.5200, 13.4050),
    "Oslo": (59.9139, 10.7522),
}


class LocationNotFound(Exception):
    """The address could not be turned into coordinates; the message says why."""


@dataclass(frozen=True)
class Located:
    latitude: float
    longitude: float
    time_zone: str | None


class OfflineGeocoder:
    """Finds the first gazetteer city named in the query; knows nothing else."""

    def geocode(self, query: str, *, exactly_one: bool = True) -> Location | None:
        for name in sorted(GAZETTEER, key=len, reverse=True):
            if re.search(rf"\b{re.escape(name)}\b", query, flags=re.IGNORECASE):
                lat, lon = GAZETTEER[name]
                location = Location(name, Point(lat, lon), {"name": name})
                return location if exactly_one else [location]
        return None


def is_known_geocoder(name: str) -> bool:
    """Whether `geocoder()` can make a geocoder for this `GEOCODER` value."""
    if name == "offline":
        return True
    try:
        get_geocoder_for_service(name)
    except GeocoderNotFound:
        return False
    return True


def geocoder():
    if settings.GEOCODER == "offline":
        return OfflineGeocoder()
    options = {
        "user_agent": settings.GEOCODER_USER_AGENT,
        "timeout": settings.GEOCODER_TIMEOUT,
        "scheme": settings.GEOCODER_SCHEME,
    }
    if settings.GEOCODER_DOMAIN:
        options["domain"] = settings.GEOCODER_DOMAIN
    if settings.GEOCODER_API_KEY:
        options["api_key"] = settings.GEOCODER_API_KEY
    return get_geocoder_for_service(settings.GEOCODER)(**options)


@cache
def _time_zone_finder() -> TimezoneFinder:
    return TimezoneFinder(in_memory=False)


def time_zone_at(latitude: float, longitude: float) -> str | None:
    return _time_zone_finder().timezone_at(lat=latitude, lng=longitude)


def locate(address: str) -> Located:
    if not address.strip():
        raise LocationNotFound("The address is empty.")
    try:
        location = geocoder().geocode(address, exactly_one=True)
    except GeopyError as exc:
        raise LocationNotFound(f"The geocoder did not answer: {exc}") from exc
    if location is None:
        raise LocationNotFound("The geocoder found no place for this address.")
    return Located(
        latitude=location.latitude,
        longitude=location.longitude,
        time_zone=time_zone_at(location.latitude, location.longitude),
    )


def fill_location(*, account: "ServiceAccount") -> bool:
    """Look up missing coordinates from the address and a missing time zone from the
    coordinates. Never raises for a failed lookup: the account keeps no coordinates and
    `location_error` says why, which admin shows as "needs location". The caller saves."""
    if account.needs_location:
        try:
            found = locate(account.address)
        except LocationNotFound as exc:
            account.location_error = str(exc)[:300]
            return False
        account.latitude, account.longitude = found.latitude, found.longitude
        if not account.time_zone and found.time_zone:
            account.time_zone = found.time_zone
    elif not account.time_zone:
        account.time_zone = time_zone_at(account.latitude, account.longitude) or ""
    account.location_error = ""
    return True
