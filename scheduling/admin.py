from datetime import date, datetime, time, timedelta
from functools import partial
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from scheduling import admin_booking, dayboard, geocoding, notifications, services, timelabels
from scheduling.forms import DayBoardForm
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    Characteristic,
    Closure,
    DayBoard,
    Product,
    Resource,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
    Territory,
    TimeOff,
    WorkingHours,
    zone_for,
)

# --- Times in the zone that applies -----------------------------------------------------------


class ZonedFields:
    """Date-time inputs say which zone they take (the one active while the form is built)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DateTimeField) and field is not None:
            zone = timezone.get_current_timezone_name()
            field.help_text = " ".join(filter(None, [f"{zone} time.", str(field.help_text)]))
        return field


class ZonedAdmin(ZonedFields, admin.ModelAdmin):
    """Shows and takes times in the zone that applies to a row, never silently in UTC.
    The change form works in the row's zone (zone_of) and says which; list columns made by
    local_column name the zone on every row, since rows may be in different zones. Where
    no row applies (adding one, the list's date filter) the portal's default zone does."""

    def zone_of(self, obj) -> tuple[ZoneInfo, str]:
        """The zone for this row's times, and whose zone it is, for the page to say."""
        return zone_for(), "the portal's default zone"

    def _row_zone(self, request, object_id, extra_context) -> tuple[ZoneInfo, dict]:
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        zone, whose = self.zone_of(obj)
        note = f"Times in {zone.key}, {whose}."
        return zone, {"subtitle": f"{obj} · {note}" if obj else note, **(extra_context or {})}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        zone, context = self._row_zone(request, object_id, extra_context)
        return _in_zone(zone, super().changeform_view, request, object_id, form_url, context)

    def history_view(self, request, object_id, extra_context=None):
        zone, context = self._row_zone(request, object_id, extra_context)
        return _in_zone(zone, super().history_view, request, object_id, context)

    def changelist_view(self, request, extra_context=None):
        zone, whose = self.zone_of(None)
        context = dict(extra_context or {})
        if self.date_hierarchy:
            context.setdefault("subtitle", f"The date filter uses {zone.key}, {whose}.")
        return _in_zone(zone, super().changelist_view, request, context)


class ReadOnlyAdmin(ZonedAdmin):
    """Rows the portal writes and admin only shows; and pages (the day board, the dispatch
    map) standing where a model's list would be."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _in_zone(zone: ZoneInfo, view, *args):
    """Run an admin view with `zone` active: forms read and show times in it. Django renders
    a page after the view returns, so the page is rendered here, before the zone ends;
    activating without an end would leak the zone into the thread's next request."""
    with timezone.override(zone):
        response = view(*args)
        if isinstance(response, TemplateResponse):
            response.render()
    return response


def local_column(field: str, description: str):
    """A list column for a date-time field: on the row's clock (ZonedAdmin.zone_of), with
    the zone's label."""

    @admin.display(description=description, ordering=field)
    def column(self: ZonedAdmin, obj) -> str:
        value = getattr(obj, field)
        if value is None:
            return self.get_empty_value_display()
        return timelabels.local_text(value, self.zone_of(obj)[0], timelabels.DISPATCH)

    return column


def site_zone(account: ServiceAccount | None) -> tuple[ZoneInfo, str]:
    """A site's zone for its rows in admin, and how the page names it."""
    if account is not None and account.time_zone:
        return zone_for(account=account), "the site's zone"
    return zone_for(account=account), "the portal's default zone (no site zone known)"


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    """Public holidays and other days a territory takes no visits: no times are offered."""

    list_display = ["date", "name", "territory"]
    list_filter = ["territory"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ["name", "account_count"]
    search_fields = ["name"]
    inlines = [ClosureInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(account_count=Count("accounts"))

    @admin.display(description="Service accounts", ordering="account_count")
    def account_count(self, obj) -> int:
        return obj.account_count


class LocationFilter(admin.SimpleListFilter):
    title = "location"
    parameter_name = "location"

    def lookups(self, request, model_admin):
        return [("missing", "Needs location"), ("known", "Located")]

    def queryset(self, request, queryset):
        if self.value() == "missing":
            return queryset.filter(latitude__isnull=True)
        if self.value() == "known":
            return queryset.filter(latitude__isnull=False)
        return queryset


@admin.register(ServiceAccount)
class ServiceAccountAdmin(ZonedAdmin):
    list_display = ["name", "territory", "time_zone", "located", "location_error"]
    list_filter = [LocationFilter, "territory"]
    list_select_related = ["territory"]
    search_fields = ["name", "address"]
    readonly_fields = ["location_error", "created_at"]
    actions = ["look_up_location"]

    def zone_of(self, obj: ServiceAccount | None) -> tuple[ZoneInfo, str]:
        return site_zone(obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # "Book a visit for …" links above the form, one per customer of the site, for those
        # who may book (admin_booking).
        customers = []
        pk = unquote(object_id)
        if request.user.has_perm("scheduling.add_appointment") and pk.isdecimal():
            customers = admin_booking.customers_of(int(pk))
        context = {"book_for": customers, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    @admin.display(boolean=True, description="Located")
    def located(self, obj: ServiceAccount) -> bool:
        return not obj.needs_location

    def save_model(self, request, obj: ServiceAccount, form, change):
        if obj.needs_location or not obj.time_zone:
            geocoding.fill_location(account=obj)
        super().save_model(request, obj, form, change)
        if obj.needs_location:
            self.message_user(
                request,
                f"{obj.name} needs a location: {obj.location_error} "
                "Enter latitude and longitude by hand, or correct the address.",
                messages.WARNING,
            )

    @admin.action(description="Look up location again from the address")
    def look_up_location(self, request, queryset):
        located = 0
        for account in queryset:
            account.latitude = account.longitude = None
            located += geocoding.fill_location(account=account)
            account.save()
        missing = queryset.count() - located
        self.message_user(request, f"Located {located}; {missing} still need a location.")


# --- Skills, products, service types --------------------------------------------------------


@admin.register(Characteristic)
class CharacteristicAdmin(admin.ModelAdmin):
    list_display = ["name", "description"]
    search_fields = ["name"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "active"]
    list_filter = ["active"]
    search_fields = ["name"]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "duration", "bookable_on_portal", "product_names"]
    list_filter = ["bookable_on_portal", "products"]
    search_fields = ["name"]
    filter_horizontal = ["products", "required_characteristics"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("products")

    @admin.display(description="Products")
    def product_names(self, obj: ServiceType) -> str:
        return ", ".join(p.name for p in obj.products.all())


# --- Resources --------------------------------------------------------------------------------


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class TimeOffInline(ZonedFields, admin.TabularInline):
    model = TimeOff
    extra = 0


@admin.register(Resource)
class ResourceAdmin(ZonedAdmin):
    list_display = ["name", "territory_names", "active", "time_zone"]
    list_filter = ["active", "territories", "characteristics"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
    filter_horizontal = ["territories", "characteristics"]
    inlines = [WorkingHoursInline, TimeOffInline]

    def zone_of(self, obj: Resource | None) -> tuple[ZoneInfo, str]:
        # Time off is on the technician's clock, like their working hours.
        if obj is None:
            return super().zone_of(obj)
        return ZoneInfo(obj.time_zone), "the technician's zone (their working hours')"

    def get_readonly_fields(self, request, obj=None):
        # Who a technician is stays fixed once made; a dispatcher edits their hours and time
        # off, and needs no access to users for that.
        return ["user"] if obj is not None else []

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("territories")

    @admin.display(description="Name", ordering="user__first_name")
    def name(self, obj: Resource) -> str:
        return str(obj)

    @admin.display(description="Territories")
    def territory_names(self, obj: Resource) -> str:
        return ", ".join(t.name for t in obj.territories.all())


# --- Settings ---------------------------------------------------------------------------------


@admin.register(SchedulingSettings)
class SchedulingSettingsAdmin(admin.ModelAdmin):
    """One row: the list is a detour, so it goes straight to that row."""

    def has_add_permission(self, request) -> bool:
        return not SchedulingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        row, _ = SchedulingSettings.objects.get_or_create(pk=1)
        return redirect(reverse("admin:scheduling_schedulingsettings_change", args=[row.pk]))


# --- Appointments -----------------------------------------------------------------------------


class ResourceFilter(admin.SimpleListFilter):
    """Like the default related filter, without a query per technician for its name."""

    title = "technician"
    parameter_name = "resource"

    def lookups(self, request, model_admin):
        return [(str(r.pk), str(r)) for r in Resource.objects.select_related("user")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(resource_id=self.value())
        return queryset


class StateFilter(admin.ChoicesFieldListFilter):
    """The status choices, under the name the screen uses."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "state"


class DayFilter(admin.SimpleListFilter):
    """One day's visits, yesterday to a week ahead, on the list's clock (the portal's default
    zone, which changelist_view activates); the date links above the list reach any day."""

    title = "day"
    parameter_name = "day"

    def lookups(self, request, model_admin):
        today = timezone.localdate()
        days = [today + timedelta(days=n) for n in range(-1, 7)]
        names = {-1: "Yesterday", 0: "Today", 1: "Tomorrow"}
        return [
            (d.isoformat(), names.get((d - today).days, f"{d:%a} {d.day} {d:%b}")) for d in days
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            day = date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        start = timezone.make_aware(datetime.combine(day, time.min))
        end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
        return queryset.filter(start__gte=start, start__lt=end)


class AppointmentEventInline(ZonedFields, admin.TabularInline):
    """The history is a record: shown, never edited."""

    model = AppointmentEvent
    fk_name = "appointment"
    extra = 0
    can_delete = False
    fields = [
        "at",
        "by",
        "kind",
        "from_status",
        "to_status",
        "from_start",
        "to_start",
        "from_resource",
        "to_resource",
        "note",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "by", "from_resource__user", "to_resource__user", "appointment__service_account"
            )
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# Marking Traveling a visit that starts later than this from now asks for confirmation.
TRAVELING_AHEAD = timedelta(hours=12)


@admin.register(Appointment)
class AppointmentAdmin(ZonedAdmin):
    list_display = [
        "local_time",
        "customer_name",
        "resource",
        "site",
        "service_type",
        "state",
        "travel_distance_km",
    ]
    list_filter = [
        ("status", StateFilter),
        ResourceFilter,
        "service_account__territory",
        DayFilter,
    ]
    list_select_related = ["service_account", "service_type", "resource__user", "customer"]
    date_hierarchy = "start"
    search_fields = [
        "customer__first_name",
        "customer__last_name",
        "customer__email",
        "service_account__name",
    ]
    fields = [
        "status",
        "service_account",
        "customer",
        "product",
        "service_type",
        "resource",
        "local_time",
        "local_end",
        "travel_distance_km",
        "cancel_reason",
        "comments",
        "sequence",
        "created_at",
        "updated_at",
    ]
    # Status moves only through the actions below, which keep the history and send the
    # mails; times and resources only through booking and rescheduling, which keep the rules.
    readonly_fields = [f for f in fields if f != "comments"]
    inlines = [AppointmentEventInline]
    actions = [
        "mark_traveling",
        "mark_in_progress",
        "mark_completed",
        "back_to_scheduled",
        "cancel_by_dispatcher",
    ]

    def get_urls(self):
        book = require_http_methods(["GET", "HEAD", "POST"])(partial(admin_booking.book, self))
        book = self.admin_site.admin_view(book)
        return [
            path("book/<int:customer_id>/", book, name="scheduling_appointment_book"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        # No plain add form: a visit is booked for a customer through the booking service,
        # which keeps the rules (scheduling.admin_booking). "Add" finds the customer first.
        return admin_booking.find_customer(self, request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would take the history with it; cancel instead.
        return False

    def zone_of(self, obj: Appointment | None) -> tuple[ZoneInfo, str]:
        return site_zone(obj.service_account if obj else None)

    local_time = local_column("start", "Start (site's time)")
    local_end = local_column("end", "End (site's time)")

    @admin.display(description="Customer", ordering="customer__last_name")
    def customer_name(self, obj: Appointment) -> str:
        if obj.customer is None:
            return self.get_empty_value_display()
        return obj.customer.get_full_name() or obj.customer.email

    @admin.display(description="Site", ordering="service_account__name")
    def site(self, obj: Appointment) -> str:
        return str(obj.service_account)

    @admin.display(description="State", ordering="status")
    def state(self, obj: Appointment) -> str:
        return obj.get_status_display()

    def _transition(self, request, queryset, *, to: str, note: str = "") -> None:
        changed = 0
        for appointment in queryset.select_related("service_account", "service_type"):
            try:
                services.transition(
                    appointment=appointment,
                    to=to,
                    by=request.user,
                    note=note,
                    base_url=notifications.base_url_of(request),
                )
            except services.SchedulingError as exc:
                self.message_user(
                    request,
                    f"Not changed: appointment {appointment.pk}, {appointment.service_type} "
                    f"at {appointment.service_account} on {self.local_time(appointment)}. {exc}",
                    messages.WARNING,
                )
            else:
                changed += 1
                # Into admin's log as well, where a supervisor reads every dispatcher's changes.
                self.log_change(request, appointment, f"Marked {Appointment.Status(to).label}.")
        if changed:
            label = Appointment.Status(to).label
            self.message_user(request, f"{changed} appointment(s) now {label}.", messages.SUCCESS)

    @admin.action(description="Mark traveling")
    def mark_traveling(self, request, queryset):
        # A visit days away marked Traveling is most likely a slip of the mouse, and it would
        # tell the customer the technician is on the way: such a choice is asked again.
        if request.POST.get("confirmed") != "yes":
            selected = list(queryset.select_related("service_account", "service_type"))
            soon = timezone.now() + TRAVELING_AHEAD
            early = [a for a in selected if a.start > soon]
            if early:
                return TemplateResponse(
                    request,
                    "admin/scheduling/appointment/confirm_traveling.html",
                    {
                        **self.admin_site.each_context(request),
                        "title": "Mark traveling a visit that starts days from now?",
                        "opts": self.model._meta,
                        "selected": selected,
                        "early": early,
                        "ahead_hours": int(TRAVELING_AHEAD.total_seconds() // 3600),
                        "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    },
                )
        self._transition(request, queryset, to=Appointment.Status.TRAVELING)
        return None

    @admin.action(description="Mark in progress")
    def mark_in_progress(self, request, queryset):
        self._transition(request, queryset, to=Appointment.Status.IN_PROGRESS)

    @admin.action(description="Mark completed")
    def mark_completed(self, request, queryset):
        self._transition(request, queryset, to=Appointment.Status.COMPLETED)

    @admin.action(description="Back to scheduled (technician turned back)")
    def back_to_scheduled(self, request, queryset):
        self._transition(
            request, queryset, to=Appointment.Status.SCHEDULED, note="Technician turned back"
        )

    @admin.action(description="Cancel (dispatcher)")
    def cancel_by_dispatcher(self, request, queryset):
        self._transition(
            request, queryset, to=Appointment.Status.CANCELED, note="Canceled by dispatcher"
        )


# --- The day board ----------------------------------------------------------------------------


@admin.register(DayBoard)
class DayBoardAdmin(ReadOnlyAdmin):
    """The dispatchers' day board, where a model's list would be: one territory's technicians
    as rows, their visits, time off and free time on the day's time axis, each visit a link
    to its page. A plain GET form picks the territory and the day. Only for those with
    scheduling.view_day_board (the Dispatchers group, superusers)."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("scheduling.view_day_board")

    def get_urls(self):
        view = self.admin_site.admin_view(self.board_view)  # staff only, never cached
        return [path("", view, name="scheduling_dayboard_changelist")]

    def board_view(self, request) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        territories = list(Territory.objects.all())
        form = DayBoardForm(request.GET, territories=territories)
        board, days, territory = None, {}, None
        if form.is_valid():
            territory = form.cleaned_data["territory"] or next(iter(territories), None)
        if territory is not None:
            zone, whose = dayboard.territory_zone(territory)
            today = timezone.now().astimezone(zone).date()
            day = form.cleaned_data["day"] or today
            board = dayboard.load(territory=territory, day=day, zone=zone, whose_zone=whose)
            days = {
                name: "?" + urlencode({"territory": territory.pk, "day": d.isoformat()})
                for name, d in [
                    ("previous", day - timedelta(days=1)),
                    ("today", today),
                    ("next", day + timedelta(days=1)),
                ]
            }
            # The form shows what the board shows, the defaults it picked included.
            form = DayBoardForm(
                initial={"territory": territory.pk, "day": day}, territories=territories
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Day board",
            "form": form,
            "board": board,
            "days": days,
        }
        status = 400 if form.errors else 200
        return TemplateResponse(request, "admin/scheduling/day_board.html", context, status=status)
