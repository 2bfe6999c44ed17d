"""The technicians' API's location endpoints: the app's own batches (`POST locations`) and the
open formats of OwnTracks (`POST owntracks`) and Overland (`POST overland`). Each
authenticates, counts the request against the device's limit, reads the body, and hands the
points to tracking.ingest, which checks and queues them; nothing here writes to the database.

A body that cannot be taken is a 4xx JSON error naming what is wrong ({"detail", "field"}):
415 not JSON, 413 too large, 400 not parseable, 422 not the expected shape, 429 too many
requests (with Retry-After), 503 the queue unreachable (nothing was accepted; send again)."""

import json
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils import timezone
from ninja import Router, Schema

from tracking import formats, ingest, ratelimit
from tracking.device_auth import DeviceToken, OwnTracksBasic, TokenInQuery
from tracking.ingest import MAX_POINTS, Point

router = Router(tags=["locations"], auth=DeviceToken(mark_seen=False))

# Bodies larger than this are refused before they are read: 200 points of the API's own with
# every field take about 60 kB, 1,000 of Overland's about 700 kB.
MAX_BODY = 256 * 1024
MAX_OVERLAND_POINTS = 1000
MAX_OVERLAND_BODY = 2 * 1024 * 1024
MAX_OWNTRACKS_BODY = 64 * 1024


class Rejected(Schema):
    index: int
    field: str | None
    reason: str


class LocationsAnswer(Schema):
    accepted: int
    rejected: int
    rejections: list[Rejected]


class Error(Schema):
    detail: str
    field: str | None = None


class OverlandAnswer(Schema):
    result: str


_ERRORS = {status: Error for status in (400, 413, 415, 422, 429, 503)}


def _body(schema: dict) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_POINTS = {
    "type": "object",
    "required": ["pings"],
    "properties": {
        "pings": {"type": "array", "maxItems": MAX_POINTS, "items": Point.model_json_schema()}
    },
}


@router.post(
    "locations",
    response={202: LocationsAnswer, **_ERRORS},
    openapi_extra=_body(_POINTS),
    summary="Report a batch of locations",
)
def locations(request):
    """Up to 200 points. Answers 202 once the points that may be kept are queued: the counts,
    and for each refused point its index in the batch, the field at fault and why. A refused
    point never costs the others. A point sent again with the same id is stored once. Points
    recorded while the technician is neither on duty nor traveling are refused (field
    recorded_at) and not kept."""
    try:
        pings = _batch(request, "pings", MAX_POINTS, MAX_BODY)
        outcome = _accept(request, pings)
    except Refused as refused:
        return refused.response
    answer = {
        "accepted": outcome.accepted,
        "rejected": len(outcome.rejected),
        "rejections": [
            {"index": r.index, "field": r.field, "reason": r.reason} for r in outcome.rejected
        ],
    }
    return JsonResponse(answer, status=202)


@router.post(
    "owntracks",
    auth=[OwnTracksBasic()],
    response={200: list[Any], **_ERRORS},
    openapi_extra=_body({"type": "object"}),
    summary="OwnTracks (HTTP mode)",
)
def owntracks(request):
    """One OwnTracks message a request, HTTP Basic with the device token as the password. A
    `location` message is taken as one point (lat, lon, acc, tst, vel in km/h, cog, alt,
    batt); other messages and empty bodies are acknowledged and ignored. Answers a JSON array
    (empty), also for a point that is refused, which sending again would not change."""
    try:
        _limit(request)
        if _length(request) == 0:
            return JsonResponse([], safe=False)
        message = _read(request, MAX_OWNTRACKS_BODY)
        if isinstance(message, dict) and message.get("_type") == "location":
            _accept(request, [formats.owntracks(request.device, message)])
    except Refused as refused:
        return refused.response
    return JsonResponse([], safe=False)


@router.post(
    "overland",
    auth=[TokenInQuery(), DeviceToken(mark_seen=False)],
    response={200: OverlandAnswer, **_ERRORS},
    openapi_extra=_body(
        {
            "type": "object",
            "required": ["locations"],
            "properties": {
                "locations": {
                    "type": "array",
                    "maxItems": MAX_OVERLAND_POINTS,
                    "items": {"type": "object"},
                }
            },
        }
    ),
    summary="Overland (GeoJSON batches)",
)
def overland(request):
    """Overland's batches of up to 1,000 GeoJSON points, the token in the URL (`?token=`) or
    as a Bearer header. Answers {"result": "ok"} once the batch is queued, and only then;
    Overland keeps and sends again any batch not so answered. Points refused by the checks
    are dropped."""
    try:
        features = _batch(request, "locations", MAX_OVERLAND_POINTS, MAX_OVERLAND_BODY)
        _accept(request, [formats.overland(request.device, feature) for feature in features])
    except Refused as refused:
        return refused.response
    return JsonResponse({"result": "ok"})


class Refused(Exception):
    """The request is answered with `response`, a 4xx or 503 JSON error."""

    def __init__(self, status: int, field: str | None, detail: str, **headers: str):
        super().__init__(detail)
        self.response = JsonResponse({"detail": detail, "field": field}, status=status)
        for name, value in headers.items():
            self.response[name.replace("_", "-")] = value


def _limit(request) -> None:
    """Refused with 429 when the device has sent more than its limit: counted before
    anything else is done."""
    wait = ratelimit.take(request.device.pk)
    if wait is not None:
        raise Refused(429, None, "too many requests from this device", Retry_After=str(wait))


def _read(request, limit: int) -> Any:
    """The parsed JSON body."""
    if request.content_type != "application/json":
        raise Refused(415, "Content-Type", "must be application/json")
    if _length(request) > limit:
        raise Refused(413, "body", f"larger than {limit} bytes")
    try:
        body = request.body
    except RequestDataTooBig:
        raise Refused(413, "body", f"larger than {limit} bytes") from None
    if len(body) > limit:
        raise Refused(413, "body", f"larger than {limit} bytes")
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Refused(400, "body", "not valid JSON") from None


def _length(request) -> int:
    """The body's declared length (0 when absent or not a number)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _batch(request, key: str, most: int, max_bytes: int) -> list:
    """Count the request, read its body and return the list under `key` (the points)."""
    _limit(request)
    data = _read(request, max_bytes)
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise Refused(422, key, "must be a list")
    if len(items) > most:
        raise Refused(422, key, f"at most {most} points in one request")
    return items


def _accept(request, points: list) -> ingest.Outcome:
    try:
        return ingest.accept(request.device, points, now=timezone.now())
    except ingest.QueueUnavailable:
        raise Refused(
            503, None, "the queue is unavailable; nothing was accepted", Retry_After="5"
        ) from None
