"""The technicians' JSON API, version 1, under /api/tech/v1/ (django-ninja; its schema at
/api/tech/v1/openapi.json). A device pairs once with a code from admin (`pair`, no token),
then sends its token as `Authorization: Bearer <token>`. Errors: tracking.errors."""

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from ninja import Field, NinjaAPI, Path, Schema
from pydantic import AfterValidator, BeforeValidator

from common import attempts
from scheduling import services as scheduling
from scheduling.models import Appointment
from tracking import devices, errors
from tracking.device_auth import DeviceToken
from tracking.errors import Error

api = NinjaAPI(
    title="Field Service Portal: technicians' API",
    version="1",
    urls_namespace="tech-api-v1",
    auth=DeviceToken(),
    parser=errors.JsonParser(),
    docs_url=None,
)
errors.install(api)

# --- Input types: what the database cannot store is a 422 here, not a 500 there ------------


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text cannot contain NUL characters.")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


def _iso_day(value):
    # pydantic would also take "0" (1970-01-01) or a date-time; a day is YYYY-MM-DD.
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Give the day as YYYY-MM-DD.")
    return value


def _reachable(value: date) -> date:
    # Midnight in any zone, and the day after it, must exist as a UTC date-time.
    if not date.min + timedelta(days=2) <= value <= date.max - timedelta(days=2):
        raise ValueError("That day is out of range.")
    return value


Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_reachable)]
MAX_ID = 2**63 - 1  # the ids are PostgreSQL bigints


# --- Pairing --------------------------------------------------------------------------------


class PairIn(Schema):
    code: Text = Field(..., max_length=64, description="The pairing code shown in admin.")
    device_name: Text = Field(
        "", max_length=100, description="Replaces the device's name in admin when given."
    )


class PairOut(Schema):
    token: str = Field(..., description="Send as `Authorization: Bearer <token>`. Shown once.")
    device_id: int
    device_name: str
    technician: str


PAIRING_STATUS = {devices.WrongCode: 400, devices.UsedCode: 409, devices.ExpiredCode: 410}


@api.post(
    "pair",
    auth=None,
    response={200: PairOut, 400: Error, 409: Error, 410: Error, 429: Error},
    summary="Exchange a pairing code for the device's token",
)
def pair(request: HttpRequest, payload: PairIn):
    rates = settings.RATE_LIMIT_PAIR_FAILED
    # Used up before the code is looked up, given back when it was good: a burst of guesses
    # checks no more codes than the limit.
    attempt = attempts.take_attempt(request, action="pair_failed", rates=rates)
    if attempt is None:
        wait = attempts.retry_after(request, action="pair_failed", rates=rates)
        return errors.error(
            429,
            "Too many wrong pairing codes from your network. Wait, then try again.",
            field="code",
            headers={"Retry-After": str(wait)},
        )
    try:
        device, token = devices.pair(code=payload.code, device_name=payload.device_name)
    except devices.PairingError as exc:
        return errors.error(PAIRING_STATUS[type(exc)], str(exc), field="code")
    attempt.give_back()
    response = api.create_response(
        request,
        {
            "token": token,
            "device_id": device.pk,
            "device_name": device.name,
            "technician": str(device.resource),
        },
        status=200,
    )
    response["Cache-Control"] = "no-store"
    return response


@api.get("me", summary="The device and technician the token belongs to")
def me(request):
    device = request.device
    return {"device": device.name, "technician": str(device.resource)}


# --- The technician's day -------------------------------------------------------------------


class AppointmentOut(Schema):
    id: int
    status: str = Field(..., description="scheduled, traveling, in_progress, completed, canceled")
    start: datetime = Field(..., description="Start of the visit's window, UTC.")
    end: datetime = Field(..., description="End of the visit's window, UTC.")
    address: str
    latitude: float | None
    longitude: float | None
    customer_first_name: str
    service_type: str
    comments: str


def _out(appointment: Appointment) -> dict:
    customer = appointment.customer
    account = appointment.service_account
    return {
        "id": appointment.pk,
        "status": appointment.status,
        "start": appointment.start.astimezone(ZoneInfo("UTC")),
        "end": appointment.end.astimezone(ZoneInfo("UTC")),
        "address": account.address,
        "latitude": account.latitude,
        "longitude": account.longitude,
        "customer_first_name": customer.first_name if customer else "",
        "service_type": appointment.service_type.name,
        "comments": appointment.comments,
    }


@api.get(
    "appointments",
    response={200: list[AppointmentOut], 422: Error},
    summary="The technician's visits on a day (of the technician's time zone)",
)
def appointments(request, date: Day):
    resource = request.device.resource
    zone = ZoneInfo(resource.time_zone)
    start = datetime.combine(date, time(), tzinfo=zone)
    end = datetime.combine(date + timedelta(days=1), time(), tzinfo=zone)
    visits = (
        Appointment.objects.filter(resource=resource, start__lt=end, end__gt=start)
        .select_related("service_account", "service_type", "customer")
        .order_by("start", "id")
    )
    return [_out(visit) for visit in visits]


class StatusIn(Schema):
    status: Literal["traveling", "in_progress", "completed", "scheduled"]
    note: Text = Field("", max_length=2000)


@api.post(
    "appointments/{appointment_id}/status",
    response={200: AppointmentOut, 404: Error, 409: Error, 422: Error},
    summary="Move one of the technician's visits to another status",
)
def appointment_status(
    request, appointment_id: Annotated[int, Path(ge=1, le=MAX_ID)], payload: StatusIn
):
    device = request.device
    appointment = (
        Appointment.objects.filter(pk=appointment_id, resource_id=device.resource_id)
        .only("pk")
        .first()
    )
    if appointment is None:
        return errors.error(404, "No such appointment of yours.", field="appointment_id")
    try:
        changed = scheduling.transition(
            appointment=appointment,
            to=payload.status,
            by=device.resource.user,
            note=payload.note,
        )
    except scheduling.IllegalTransition as exc:
        return errors.error(409, str(exc), field="status", current=exc.current, requested=exc.to)
    except scheduling.SchedulingError as exc:
        return errors.error(409, str(exc), field="status")
    return _out(changed)


# The location endpoints (locations, owntracks, overland) live in their own module.
from tracking.ingest_api import router as ingest_router  # noqa: E402

api.add_router("", ingest_router)
