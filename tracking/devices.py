"""Device tokens: made once, shown once, stored as a SHA-256 hash (a token has 256 bits of
randomness, so a fast hash is enough), looked up by that hash."""

import hashlib
import secrets

from tracking.models import Device

TOKEN_PREFIX = "fpt_"  # noqa: S105 (a prefix, not a secret)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(token: str) -> Device | None:
    """The paired, unrevoked device holding `token`, else None."""
    if not token or len(token) > 200:
        return None
    return (
        Device.objects.select_related("resource")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
