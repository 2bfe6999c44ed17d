"""The signed tokens in survey mails. Each signer has its own salt, so a token made for one
purpose (or by another app) is worth nothing for the other."""

from datetime import timedelta

from django.conf import settings
from django.core import signing

# Opens the form of one visit, without signing in, for SURVEY_LINK_DAYS.
_RESPONSE = signing.TimestampSigner(salt="surveys.response")
# Stops survey mails to one customer. It does not expire: an old mail's link must still work.
_UNSUBSCRIBE = signing.Signer(salt="surveys.unsubscribe")


class Expired(Exception):
    """The link was ours but is too old."""


def response_token(appointment_id: int) -> str:
    return _RESPONSE.sign(str(appointment_id))


def appointment_of(token: str) -> int | None:
    """The visit a response token was made for; None when it was not made here (typed
    wrong, cut short, tampered with, made for something else). Raises Expired."""
    try:
        value = _RESPONSE.unsign(token, max_age=timedelta(days=settings.SURVEY_LINK_DAYS))
    except signing.SignatureExpired as exc:
        raise Expired from exc
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def unsubscribe_token(customer_id: int) -> str:
    return _UNSUBSCRIBE.sign(str(customer_id))


def customer_of(token: str) -> int | None:
    try:
        value = _UNSUBSCRIBE.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
