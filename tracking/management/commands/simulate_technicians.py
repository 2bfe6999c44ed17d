"""Drive the demo's Traveling technicians toward their sites through the real API
(tracking.simulator). `make run` starts it beside the server."""

import argparse
import contextlib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracking import simulator


class Command(BaseCommand):
    help = (
        "Move each technician with a Traveling visit toward its site, posting their position "
        "to the portal's API every few seconds (a device paired for each); they stop at the "
        "site. For the demo: it runs only with DJANGO_DEBUG=true."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            type=_base_url,
            default=settings.PORTAL_BASE_URL,
            help=f"Where the portal serves its API (default PORTAL_BASE_URL, now "
            f"{settings.PORTAL_BASE_URL}).",
        )
        parser.add_argument(
            "--every",
            type=_positive,
            default=5.0,
            metavar="SECONDS",
            help="Seconds between positions (default 5).",
        )
        parser.add_argument(
            "--speed",
            type=_speed,
            default=40.0,
            metavar="KM/H",
            help="Cruising speed, varied a little as traffic goes (default 40 km/h).",
        )
        parser.add_argument(
            "--technician",
            action="append",
            default=[],
            metavar="EMAIL",
            help="Only this technician (by email); may be given again.",
        )
        parser.add_argument(
            "--until-arrived",
            action="store_true",
            help="Stop once every traveling technician has arrived, instead of waiting for "
            "the next one to start traveling.",
        )

    def handle(self, *args, base_url, every, speed, technician, until_arrived, **options):
        # It makes positions up: a production portal must never show them to customers.
        if not settings.DEBUG:
            raise CommandError(
                "simulate_technicians makes up technicians' positions for the demo; it runs "
                "only with DJANGO_DEBUG=true."
            )
        if speed * (1 + simulator.JITTER) / 3.6 > settings.INGEST_MAX_SPEED_MPS:
            raise CommandError(
                f"--speed {speed:g} km/h, {simulator.JITTER:.0%} faster at times, is faster than "
                f"the API accepts (INGEST_MAX_SPEED_MPS {settings.INGEST_MAX_SPEED_MPS:g} m/s)."
            )

        def say(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()  # a background process under `make run`: say it now

        moving = simulator.Simulator(
            base_url=base_url, speed_kmh=speed, technicians=technician, say=say
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C in a terminal: just stop
            simulator.run(moving, every=every, until_arrived=until_arrived)


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError("give the portal's address, e.g. http://127.0.0.1:8000")
    return value.rstrip("/")


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < 3600:
        raise argparse.ArgumentTypeError("give seconds, more than 0")
    return number


def _speed(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number <= 1000:
        raise argparse.ArgumentTypeError("give km/h, more than 0")
    return number
