"""The secrets a device holds: its token, made once, shown once and stored as a SHA-256
hash (it has 256 bits of randomness, so a fast hash is enough), and the one-time pairing
code that gets it. No models here: the logging set-up imports this before Django loads the
apps, to keep tokens out of the logs."""

import hashlib
import re
import secrets

from django.utils.crypto import salted_hmac

from common import codes

# Marks a token, so that it is easy to recognise (and scrub from logs, or find in a leak).
TOKEN_PREFIX = "fpt_"  # noqa: S105
_TOKEN_CHARS = 43  # secrets.token_urlsafe(32)
PAIRING_CODE_LENGTH = 10  # 10 symbols x 5 bits = 50 bits: short to type, and it expires


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    """Whether `token` could be one of ours: anything else is refused without a query."""
    return token.startswith(TOKEN_PREFIX) and len(token) == len(TOKEN_PREFIX) + _TOKEN_CHARS


def new_pairing_code() -> str:
    return codes.random_code(PAIRING_CODE_LENGTH)


def pairing_code_hash(code: str) -> str:
    """The stored form of a pairing code, however it was typed. Keyed with the secret key:
    50 bits would not resist a brute force of a plain hash read from a database copy."""
    digest = salted_hmac("tracking.pairing-code", codes.normalize(code), algorithm="sha256")
    return digest.hexdigest()


def display_code(code: str) -> str:
    return codes.grouped(code, 5)  # ABCDE-FGHJK


_SCRUBBED = "[scrubbed]"
# A text without any of these has nothing to scrub.
_MARKERS = (TOKEN_PREFIX, "token", "authorization", "bearer", "basic")
_SCRUBS = [
    # Our tokens, wherever they are: a path, a header, a body.
    (re.compile(re.escape(TOKEN_PREFIX) + r"[\w-]+"), TOKEN_PREFIX + _SCRUBBED),
    # A token in a query string or a form (token=, access_token=, csrftoken=).
    (re.compile(r"(token=)[^&\s\"',;]+", re.IGNORECASE), rf"\1{_SCRUBBED}"),
    # A token in JSON or a dict's repr.
    (re.compile(r"""(["']token["']\s*:\s*["'])[^"']+""", re.IGNORECASE), rf"\1{_SCRUBBED}"),
    # Credentials after their scheme, wherever a header's value is quoted.
    (re.compile(r"\b(Bearer|Basic)\s+[\w+/=.~-]{16,}", re.IGNORECASE), rf"\1 {_SCRUBBED}"),
    # Authorization headers: "Authorization: Bearer …", 'HTTP_AUTHORIZATION': 'Basic …'.
    (
        re.compile(r"""(authorization["']?\s*[:=]\s*["']?)(\w+\s+)?[^\s"',;}]+""", re.IGNORECASE),
        rf"\1\2{_SCRUBBED}",
    ),
]


def scrub(text: str) -> str:
    """`text` without tokens or credentials in it."""
    lowered = text.lower()
    if not any(marker in lowered for marker in _MARKERS):
        return text  # the common case, at the cost of one lower()
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text
