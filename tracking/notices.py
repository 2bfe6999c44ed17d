"""When the customer of a Traveling visit hears where the technician is: on the way (the visit
turned Traveling), arriving soon (the estimate dropped under NOTICE_ARRIVING_SOON_MINUTES)
and running late (the estimate passed the end of the arrival window, the visit's start plus
NOTICE_ARRIVAL_WINDOW_MINUTES). Each goes at most once per visit, even when two workers
evaluate the same technician at once or a batch is delivered again: the mail is written to
the outbox in the transaction that inserts the visit's Notice row of that kind, and the
unique constraint lets only one insert win; the loser sends nothing.

On the way is sent from `transitioned`, the receiver of scheduling's appointment_transitioned
(the technician's API, admin, anything that calls `transition`). The other two are evaluated
by the ingest worker each time a batch moves a technician's latest position
(`position_moved`), so that must cost little: the technician's Traveling visit comes from an
entry in Redis (one GET per batch, spoken to directly as tracking.positions does: Django's
cache API costs four times the CPU; the local cache under `make run`), read from the
database at most once a TRIP_SECONDS per technician, dropped by every transition to or from
Traveling and by every notice sent."""

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from scheduling.availability import Point
from scheduling.models import Appointment, SchedulingSettings
from tracking import eta, live, positions
from tracking.models import Notice, NoticeOptOut
from tracking.notice_mail import NoticeMail, window_end

Kind = Notice.Kind
TRAVELING = Appointment.Status.TRAVELING
# A position older than this says nothing about when the technician arrives (the phone lost
# its signal, the app was closed): no estimate is made from it.
FRESH = timedelta(minutes=10)
# How long a worker trusts what it read about a technician's trip. A transition drops the
# entry at once; this bounds how long one whose drop was lost (a read racing the transition)
# can hold back an arriving-soon or running-late notice.
TRIP_SECONDS = 60
KEY = "tracking:trip:{}"
_NO_TRIP = "none"  # kept too: most batches come from technicians who are not traveling


@dataclass(frozen=True)
class Trip:
    """A technician's Traveling visit as the ingest worker needs it."""

    appointment_id: int
    start: datetime
    site: Point | None
    sent: frozenset[str]

    def dumps(self) -> str:
        return json.dumps([self.appointment_id, self.start.isoformat(), self.site, [*self.sent]])

    @classmethod
    def loads(cls, raw: str | bytes) -> "Trip":
        appointment_id, start, site, sent = json.loads(raw)
        site = tuple(site) if site else None
        return cls(appointment_id, datetime.fromisoformat(start), site, frozenset(sent))


def transitioned(sender, appointment, from_status, to_status, base_url=None, **kwargs) -> None:
    """Receiver of scheduling.signals.appointment_transitioned (after commit)."""
    if TRAVELING in (from_status, to_status):
        forget(appointment.resource_id)
    if to_status == TRAVELING:
        on_the_way(appointment, base_url=base_url)


def on_the_way(appointment: Appointment, *, base_url: str | None = None) -> bool:
    """Tell the customer the technician set off, with the estimate when there is a recent
    position; whether this call sent it."""
    account = appointment.service_account
    site = _site(account.latitude, account.longitude)
    estimate = _estimate(site, positions.latest(appointment.resource_id), timezone.now())
    return send(appointment.pk, Kind.ON_THE_WAY, estimate=estimate, base_url=base_url)


def position_moved(resource_id: int, position: positions.Position) -> list[str]:
    """The ingest worker moved the technician's latest position: send the notices now due;
    returns their kinds. One cache lookup when the technician is not traveling or nothing
    is due."""
    trip = _trip(resource_id)
    if trip is None:
        return []
    estimate = _estimate(trip.site, position, timezone.now())
    if estimate is None:
        return []
    due = []
    if Kind.ARRIVING_SOON not in trip.sent and estimate.minutes < (
        settings.NOTICE_ARRIVING_SOON_MINUTES
    ):
        due.append(Kind.ARRIVING_SOON)
    if (
        Kind.RUNNING_LATE not in trip.sent
        and not estimate.here
        and estimate.arrival > window_end(trip.start)
    ):
        due.append(Kind.RUNNING_LATE)
    if not due:
        return []
    sent = [kind for kind in due if send(trip.appointment_id, kind, estimate=estimate)]
    # Sent here or elsewhere, or the visit is no longer traveling: read it afresh next time.
    forget(resource_id)
    return sent


def send(
    appointment_id: int,
    kind: str,
    *,
    estimate: eta.Estimate | None,
    base_url: str | None = None,
) -> bool:
    """Write the notice and its mail in one transaction, unless the visit is no longer
    Traveling, its customer unsubscribed, or that notice was sent already. Whether this call
    sent it."""
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_related("customer")
            .annotate(quiet=Exists(NoticeOptOut.objects.filter(customer=OuterRef("customer"))))
            .filter(pk=appointment_id, status=TRAVELING)
            .first()
        )
        if appointment is None or appointment.quiet:
            return False
        if appointment.customer is None or not appointment.customer.email:
            return False
        try:
            # Not a read then a write: two senders may both have found no row. The second
            # insert waits for the first's transaction and fails once it commits.
            with transaction.atomic():
                Notice.objects.create(
                    appointment=appointment,
                    kind=kind,
                    sent_at=timezone.now(),
                    arrival=estimate.arrival if estimate else None,
                )
        except IntegrityError:
            return False
        NoticeMail(
            kind=kind,
            appointment=appointment,
            estimate=estimate,
            base_url=base_url or settings.PORTAL_BASE_URL,
        ).send()
    return True


def forget(resource_id: int) -> None:
    client = live.client()
    if client is None:
        cache.delete(KEY.format(resource_id))
    else:
        client.delete(KEY.format(resource_id))


def remember(resource_id: int, trip: Trip | None) -> None:
    """Keep what was read of the technician's trip (None: not traveling) for TRIP_SECONDS."""
    raw = _NO_TRIP if trip is None else trip.dumps()
    client = live.client()
    if client is None:
        cache.set(KEY.format(resource_id), raw, TRIP_SECONDS)
    else:
        client.set(KEY.format(resource_id), raw, ex=TRIP_SECONDS)


def _trip(resource_id: int) -> Trip | None:
    client = live.client()
    key = KEY.format(resource_id)
    raw = cache.get(key) if client is None else client.get(key)
    if raw is None:
        trip = _read_trip(resource_id)
        remember(resource_id, trip)
        return trip
    return None if raw in (_NO_TRIP, _NO_TRIP.encode()) else Trip.loads(raw)


def _read_trip(resource_id: int) -> Trip | None:
    """The technician's Traveling visit (the earliest, should there be several: one travels
    to one site at a time) whose customer hears these notices, in one query."""
    sent = {
        kind: Exists(Notice.objects.filter(appointment=OuterRef("pk"), kind=kind))
        for kind in (Kind.ARRIVING_SOON, Kind.RUNNING_LATE)
    }
    row = (
        Appointment.objects.filter(resource_id=resource_id, status=TRAVELING)
        .exclude(customer=None)
        .exclude(Exists(NoticeOptOut.objects.filter(customer=OuterRef("customer"))))
        .annotate(**sent)
        .order_by("start", "pk")
        .values("pk", "start", "service_account__latitude", "service_account__longitude", *sent)
        .first()
    )
    if row is None:
        return None
    return Trip(
        appointment_id=row["pk"],
        start=row["start"],
        site=_site(row["service_account__latitude"], row["service_account__longitude"]),
        sent=frozenset(kind for kind in sent if row[kind]),
    )


def _site(latitude: float | None, longitude: float | None) -> Point | None:
    return None if latitude is None or longitude is None else (latitude, longitude)


def _estimate(
    site: Point | None, position: positions.Position | None, now: datetime
) -> eta.Estimate | None:
    if site is None or position is None or now - position.recorded_at > FRESH:
        return None
    return eta.estimate(
        position=(position.latitude, position.longitude),
        site=site,
        recorded_at=position.recorded_at,
        now=now,
        speed_mps=position.speed,
        travel_speed_kmh=SchedulingSettings.current().travel_speed_kmh,
    )
