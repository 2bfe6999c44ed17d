"""Open tracker apps' messages as our points, so that a company can start with OwnTracks or
Overland before writing an app of its own. Only the shape changes: the points then take the
same checks, queue and worker as the API's own (tracking.ingest).

Neither app sends an id for a point; it is derived from the device and the point's timestamp
(a name-based UUID), so a point the app sends again (it did not see our answer) gets the same
id and is stored once. Values come through as sent when they are not numbers, for the checks to
refuse them and name the field."""

import uuid
from typing import Any

from tracking.models import Device

# The namespace of the derived point ids (uuid5 of "device id/timestamp").
POINT_NAMESPACE = uuid.UUID("9f1c2d7e-5a43-4b7e-9d0c-6a1f3b8e2c51")


def point_id(device: Device, timestamp: Any) -> uuid.UUID:
    return uuid.uuid5(POINT_NAMESPACE, f"{device.pk}/{timestamp}")


def owntracks(device: Device, message: dict) -> dict:
    """An OwnTracks `location` message (HTTP mode): lat, lon, acc (m), tst (seconds since the
    epoch), vel (km/h), cog (degrees), alt (m), batt (per cent)."""
    tst = message.get("tst")
    return {
        "id": point_id(device, tst),
        "latitude": message.get("lat"),
        "longitude": message.get("lon"),
        "accuracy": message.get("acc"),
        "recorded_at": tst,
        "speed": _scaled(_known(message.get("vel")), 1 / 3.6),
        "heading": _known(message.get("cog")),
        "altitude": message.get("alt"),
        "battery": message.get("batt"),
    }


def overland(device: Device, feature: Any) -> Any:
    """One GeoJSON Feature of an Overland batch: geometry.coordinates [lon, lat];
    properties timestamp (ISO 8601), horizontal_accuracy (m), speed (m/s), course (degrees),
    altitude (m), battery_level (0 to 1). iOS reports an unknown speed, course or battery
    level as -1."""
    if not isinstance(feature, dict):
        return feature  # refused by the checks as not an object
    geometry = feature.get("geometry")
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if isinstance(coordinates, list) and len(coordinates) >= 2:
        longitude, latitude = coordinates[0], coordinates[1]
    else:
        longitude = latitude = None
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    timestamp = properties.get("timestamp")
    return {
        "id": point_id(device, timestamp),
        "latitude": latitude,
        "longitude": longitude,
        "accuracy": properties.get("horizontal_accuracy"),
        "recorded_at": timestamp,
        "speed": _known(properties.get("speed")),
        "heading": _known(properties.get("course")),
        "altitude": properties.get("altitude"),
        "battery": _scaled(_known(properties.get("battery_level")), 100),
    }


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _scaled(value: Any, factor: float) -> Any:
    return value * factor if _number(value) else value


def _known(value: Any) -> Any:
    """None for the -1 that phones report for a value they do not know."""
    return None if _number(value) and value < 0 else value
