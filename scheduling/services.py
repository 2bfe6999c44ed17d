"""Operations on the scheduling domain. Each is one transaction or works on one object."""

from scheduling import geocoding
from scheduling.models import ServiceAccount


def fill_location(*, account: ServiceAccount) -> bool:
    """Look up missing coordinates from the address and a missing time zone from the
    coordinates. Never raises for a failed lookup: the account keeps no coordinates and
    `location_error` says why, which admin shows as "needs location". The caller saves."""
    if account.needs_location:
        try:
            found = geocoding.locate(account.address)
        except geocoding.LocationNotFound as exc:
            account.location_error = str(exc)[:300]
            return False
        account.latitude, account.longitude = found.latitude, found.longitude
        if not account.time_zone and found.time_zone:
            account.time_zone = found.time_zone
    elif not account.time_zone:
        account.time_zone = geocoding.time_zone_at(account.latitude, account.longitude) or ""
    account.location_error = ""
    return True
