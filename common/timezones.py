"""The time zones people choose from: the time zone database's zones for common use
(`zone.tab`: one or more per country, each a real place, no aliases such as US/Eastern or
Etc/GMT+5), grouped by region and labelled with the place and its country. Read from the
`tzdata` package, so the list is the one zoneinfo uses wherever the portal runs."""

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

UTC = "UTC"
# The database's first path segment, as a person reads it.
REGIONS = {
    "Africa": "Africa",
    "America": "Americas",
    "Antarctica": "Antarctica",
    "Arctic": "Arctic",
    "Asia": "Asia",
    "Atlantic": "Atlantic Ocean",
    "Australia": "Australia",
    "Europe": "Europe",
    "Indian": "Indian Ocean",
    "Pacific": "Pacific Ocean",
}
# Names that all mean UTC; the list offers the one.
UTC_NAMES = {
    *("UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"),
    *("GMT", "Etc/GMT", "GMT0", "Etc/GMT0", "GMT+0", "Etc/GMT+0", "GMT-0", "Etc/GMT-0"),
    *("Greenwich", "Etc/Greenwich"),
}


@dataclass(frozen=True)
class Zone:
    name: str  # the IANA name, e.g. America/Indiana/Knox
    region: str  # e.g. Americas
    label: str  # e.g. Knox, Indiana (United States, Central - IN (Starke))


def _data(name: str) -> str:
    return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")


def _rows(name: str) -> list[list[str]]:
    return [line.split("\t") for line in _data(name).splitlines() if line and line[0] != "#"]


@lru_cache(maxsize=1)
def zones() -> tuple[Zone, ...]:
    """Every zone for common use, by region then label."""
    countries = {row[0]: row[1] for row in _rows("iso3166.tab")}
    rows = _rows("zone.tab")
    per_country: dict[str, int] = {}
    for row in rows:
        per_country[row[0]] = per_country.get(row[0], 0) + 1
    found = {}
    for code, _, name, *comment in rows:
        country = countries.get(code, code)
        region, *places = name.split("/")
        places = [p.replace("_", " ") for p in reversed(places)]
        place = ", ".join(p for p in places if p != country or p == places[0])
        # Where a country has several zones, zone.tab says which part each covers.
        where = ", ".join([country, *comment[:1]]) if per_country[code] > 1 else country
        found.setdefault(name, Zone(name, REGIONS.get(region, region), f"{place} ({where})"))
    return tuple(sorted(found.values(), key=lambda z: (z.region, z.label)))


@lru_cache(maxsize=1)
def names() -> frozenset[str]:
    return frozenset([UTC, *(zone.name for zone in zones())])


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """Other names of the listed zones (old spellings, US/Pacific…) and the listed name
    each stands for. Browsers still report some (Chromium: Asia/Calcutta)."""
    found = {alias: UTC for alias in UTC_NAMES - {UTC}}
    for line in _data("tzdata.zi").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            if alias not in names():
                found[alias] = UTC if target in UTC_NAMES else target
    return {alias: target for alias, target in found.items() if target in names()}


def canonical(name: str) -> str | None:
    """The listed zone `name` is or stands for; None when it is neither."""
    if name in names():
        return name
    return aliases().get(name)


def grouped_choices() -> list:
    """The zones as Django's grouped choices: UTC, then one group per region."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone in zones():
        groups.setdefault(zone.region, []).append((zone.name, zone.label))
    return [(UTC, "UTC (Coordinated Universal Time)"), *groups.items()]
