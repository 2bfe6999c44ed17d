"""The live map's refresh key: what the map page hands its script so that each refresh is
answered without the session (through API_MIDDLEWARE, portal/handlers.py): the visit, the
customer's site and the zone their times are shown in, signed with the secret key and dated.

Only that visit's customer gets the page, so only they get its key. A key works for that one
visit, for MAP_REFRESH_KEY_SECONDS, and shows only what the page shows (tracking.livemap
decides); signing out leaves an open map refreshing until its key runs out."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing

SALT = "tracking.live-map"


def issue(visit_id: int, account_id: int, zone: ZoneInfo) -> str:
    return signing.dumps([visit_id, account_id, zone.key], salt=SALT, compress=False)


def read(key: str, visit_id: int) -> tuple[int, ZoneInfo] | None:
    """The site and zone the key was issued for, if it is ours, current, and for this visit."""
    try:
        held, account_id, zone = signing.loads(
            key, salt=SALT, max_age=settings.MAP_REFRESH_KEY_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if held != visit_id:
        return None
    return account_id, ZoneInfo(zone)
