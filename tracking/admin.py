"""Devices in admin: a dispatcher adds a technician's device and gets its pairing code (and a
QR image of it) on the next page, once; actions make a new code or revoke a device. The
on-the-way notices sent, and who unsubscribed from them, are listed read-only. And the
dispatchers' map of the day's technicians."""

from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from scheduling import timelabels
from scheduling.admin import ReadOnlyAdmin, ZonedAdmin, local_column, site_zone
from scheduling.notifications import base_url_of
from tracking import devices, dispatch
from tracking.models import Device, DispatchMap, Notice, NoticeOptOut


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("paired", "Paired"), ("unpaired", "Not paired yet"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        match self.value():
            case "paired":
                return queryset.filter(token_hash__isnull=False, revoked_at__isnull=True)
            case "unpaired":
                return queryset.filter(token_hash__isnull=True, revoked_at__isnull=True)
            case "revoked":
                return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(Device)
class DeviceAdmin(ZonedAdmin):
    list_display = ["technician", "name", "state", "last_seen", "paired"]
    list_filter = [StateFilter]
    list_select_related = ["resource__user"]
    search_fields = [
        "name",
        "resource__user__first_name",
        "resource__user__last_name",
        "resource__user__email",
    ]
    autocomplete_fields = ["resource"]
    actions = ["new_pairing_code", "revoke"]
    readonly_fields = [
        "state",
        "created",
        "created_by",
        "code_expires",
        "paired",
        "last_seen",
        "revoked",
    ]

    created = local_column("created_at", "Added")
    code_expires = local_column("pairing_expires_at", "Pairing code valid until")
    paired = local_column("paired_at", "Paired")
    last_seen = local_column("last_seen_at", "Last seen")
    revoked = local_column("revoked_at", "Revoked")

    def zone_of(self, obj: Device | None) -> tuple[ZoneInfo, str]:
        if obj is None:
            return super().zone_of(obj)
        return ZoneInfo(obj.resource.time_zone), "the technician's zone"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A paired device's token belongs to its technician: add a device for another one.
        return ["resource", *self.readonly_fields]

    @admin.display(description="Technician", ordering="resource__user__first_name")
    def technician(self, obj: Device) -> str:
        return str(obj.resource)

    @admin.display(description="State")
    def state(self, obj: Device) -> str:
        if obj.revoked_at is not None:
            return "Revoked"
        if obj.token_hash:
            return "Paired"
        return "Not paired yet"

    def save_model(self, request, obj: Device, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj: Device, post_url_continue=None):
        # The code is shown on this page and nowhere else: it is not stored, only its hash.
        return self._codes_page(request, [(obj, devices.make_pairing_code(device=obj))])

    @admin.action(
        description="Make a new pairing code (the old code stops working)", permissions=["change"]
    )
    def new_pairing_code(self, request, queryset):
        made = []
        for device in queryset.select_related("resource__user"):
            try:
                made.append((device, devices.make_pairing_code(device=device)))
            except devices.DeviceError as exc:
                self.message_user(request, str(exc), messages.WARNING)
        if made:
            return self._codes_page(request, made)
        return None

    @admin.action(description="Revoke (its token stops working at once)", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(devices.revoke(device=device) for device in queryset)
        self.message_user(request, f"Revoked {revoked} device(s).", messages.SUCCESS)

    def _codes_page(self, request: HttpRequest, made: list[tuple[Device, str]]):
        base_url = base_url_of(request)
        api_url = base_url + reverse("tech-api-v1:api-root")
        app_url = base_url + reverse("tech:home")
        codes = []
        for device, code in made:
            zone = self.zone_of(device)[0]
            codes.append(
                {
                    "device": device,
                    "code": code,
                    "expires": timelabels.local_text(
                        device.pairing_expires_at, zone, timelabels.DISPATCH
                    ),
                    "qr": qr_svg(pairing_url(app_url=app_url, code=code)),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Pairing codes" if len(codes) > 1 else "Pairing code",
            "codes": codes,
            "api_url": api_url,
            "app_url": app_url,
        }
        # Admin's views are never cached (no-store), so the browser keeps no copy either.
        return TemplateResponse(request, "tracking/admin/pairing_codes.html", context)


def pairing_url(*, app_url: str, code: str) -> str:
    """What the QR image holds: the technicians' web app with the code, e.g.
    https://portal.example.com/tech/?code=ABCDE-FGHJK. A phone's camera opens a URL, and the
    page pairs with the code it finds there; a JSON payload would need an app to read it."""
    return f"{app_url}?{urlencode({'code': code})}"


def qr_svg(data: str) -> str:
    """An inline SVG (the Content-Security-Policy allows no data: images), dark on white so
    that it scans in admin's dark theme too."""
    svg = segno.make(data, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return mark_safe(svg)  # noqa: S308 (segno's markup: paths only, none of the data's text)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["appointment", "kind", "sent", "arrival_told"]
    list_filter = ["kind"]
    list_select_related = ["appointment__service_account", "appointment__service_type"]
    search_fields = ["appointment__customer__email", "appointment__service_account__name"]
    fields = ["appointment", "kind", "sent", "arrival_told"]
    readonly_fields = fields

    sent = local_column("sent_at", "Sent")
    arrival_told = local_column("arrival", "Arrival it told")

    def zone_of(self, obj: Notice | None) -> tuple[ZoneInfo, str]:
        if obj is None:
            return super().zone_of(obj)
        return site_zone(obj.appointment.service_account)


@admin.register(NoticeOptOut)
class NoticeOptOutAdmin(ReadOnlyAdmin):
    list_display = ["customer", "since"]
    list_select_related = ["customer"]
    search_fields = ["customer__email"]
    fields = ["customer", "since"]
    readonly_fields = fields

    since = local_column("created_at", "Unsubscribed")


@admin.register(DispatchMap)
class DispatchMapAdmin(ReadOnlyAdmin):
    """The dispatchers' map, where a model's list would be: the day's technicians on one map
    with a table beside it, refreshed by polling its state as the customer's map does. Only
    for those with tracking.view_dispatch_map (the Dispatchers group, superusers)."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("tracking.view_dispatch_map")

    def get_urls(self):
        view = self.admin_site.admin_view  # staff only, never cached
        return [
            path("", view(self.map_view), name="tracking_dispatchmap_changelist"),
            path("state/", view(self.state_view), name="tracking_dispatchmap_state"),
        ]

    def map_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Dispatch map",
            "board": dispatch.board(now=timezone.now()),
            "poll_seconds": settings.MAP_POLL_SECONDS,
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        }
        return TemplateResponse(request, "tracking/admin/dispatch_map.html", context)

    def state_view(self, request: HttpRequest) -> JsonResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return JsonResponse(dispatch.board(now=timezone.now()))
