"""Read settings from the environment; a bad value stops start-up with a message naming it."""

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """The variable's value; unset and empty both mean the default."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default).lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {sorted(choices)}, not {value!r}")
    return value


# allauth's rate syntax (allauth.core.internal.ratelimit.parse_rates): "amount/duration[/per]",
# comma-separated, the duration an optional number and a unit (s, m, h, d). Only "ip" is
# allowed as the key: the rates read here guard anonymous pages, where "user" or "key" fail.
_RATE = r"\d+/(\d+(\.\d+)?)?[smhd](/ip)?"
_RATES_RE = re.compile(rf"{_RATE}(\s*,\s*{_RATE})*")


def env_rates(name: str, default: str) -> str:
    value = env_str(name, default)
    if not _RATES_RE.fullmatch(value):
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 5/15m/ip (several comma-separated), not {value!r}"
        )
    return value


def env_url_origin(name: str, default: str) -> tuple[str, str]:
    """An http(s) URL (a template such as a map tile URL may hold {placeholders}) and the
    origin a Content-Security-Policy allows it by: scheme, host and port. A "{s}." subdomain
    placeholder, as tile servers use, becomes a "*." wildcard."""
    value = env_str(name, default)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(
            f"{name} must be an http(s) URL such as {default}, not {value!r}"
        )
    host = re.sub(r"^\{\w+\}\.", "*.", parts.hostname)
    return value, f"{parts.scheme}://{host}" + (f":{port}" if port else "")


_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_ONE_RATE_RE = re.compile(r"(?P<amount>\d+)/(?P<count>\d+(\.\d+)?)?(?P<unit>[smhd])")


def env_rate(name: str, default: str) -> tuple[int, float]:
    """One rate, "amount/duration" as in env_rates but with no key ("120/m", "10/30s"): the
    amount and the duration in seconds."""
    value = env_str(name, default)
    match = _ONE_RATE_RE.fullmatch(value)
    if not match or int(match["amount"]) < 1 or float(match["count"] or 1) <= 0:
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 120/m or 10/30s (requests per duration), not {value!r}"
        )
    return int(match["amount"]), float(match["count"] or 1) * _UNIT_SECONDS[match["unit"]]
