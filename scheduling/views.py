"""The customer's booking pages. Every page works with plain form posts; htmx swaps in the
parts that change (service types for a product, the times for a day) without a reload."""

import uuid
from datetime import date
from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRedirect

from scheduling import notifications, services
from scheduling.forms import (
    BookingForm,
    CancelForm,
    SlotForm,
    bookable_products,
    bookable_service_types,
)
from scheduling.models import Appointment, SchedulingSettings, ServiceType, zone_for


def customer_required(view):
    """Signed in, with a service account: whose appointments the pages show."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.htmx:
                # Signed out meanwhile: send the whole page to sign in (and back to it),
                # not a sign-in form swapped into the middle of the booking form.
                try:
                    back = request.htmx.current_url_abs_path or request.get_full_path()
                except ValueError:  # a malformed HX-Current-URL: as if it were not sent
                    back = request.get_full_path()
                return HttpResponseClientRedirect(redirect_to_login(back).url)
            return redirect_to_login(request.get_full_path())
        if getattr(request.user, "service_account", None) is None:
            return render(request, "scheduling/no_account.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def customer_zone(request: HttpRequest) -> ZoneInfo:
    return zone_for(customer=request.user, account=request.user.service_account)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _choice(queryset, raw: str | None):
    pk = _int(raw)
    return queryset.filter(pk=pk).first() if pk is not None else None


def _days(request: HttpRequest) -> list[date]:
    settings = SchedulingSettings.current()
    return services.bookable_days(
        now=timezone.now(), zone=customer_zone(request), settings=settings
    )


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _token(raw: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except (TypeError, ValueError):
        return uuid.uuid4()


def _own_appointment(request: HttpRequest, pk: int) -> Appointment:
    # Another account's appointment answers 404, as if it did not exist.
    return get_object_or_404(
        Appointment.objects.select_related(
            "service_account", "service_type", "product", "resource__user"
        ),
        pk=pk,
        service_account=request.user.service_account,
    )


def _changeable(view):
    """Hands the view the customer's own appointment while it can still be modified or
    canceled; otherwise says why, on the appointment's page."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
        appointment = _own_appointment(request, pk)
        refusal = services.change_refusal(appointment)
        if refusal:
            messages.error(request, refusal)
            return redirect("scheduling:appointment", appointment.pk)
        return view(request, appointment)

    return wrapper


def _picker(
    request: HttpRequest,
    *,
    service_type: ServiceType,
    day: date | None,
    exclude: Appointment | None = None,
) -> dict:
    """Days of the horizon with or without times, and the times of the chosen day."""
    now = timezone.now()
    zone = customer_zone(request)
    days = _days(request)
    calendar = services.availability(
        account=request.user.service_account,
        service_type=service_type,
        days=days,
        zone=zone,
        now=now,
        exclude_appointment=exclude.pk if exclude else None,
        full_days={day} if day else set(),
    )
    day = day if day in calendar.days else None
    slots_url = reverse("scheduling:slots") + (f"?appointment={exclude.pk}" if exclude else "")
    return {
        "slots_url": slots_url,
        "days": list(calendar.days.items()),
        "day": day,
        "slots": calendar.slots(day) if day else None,
        "zone": zone.key,
    }


@customer_required
@never_cache  # the back button must not show a form whose booking is already made
@require_http_methods(["GET", "HEAD", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    zone = customer_zone(request)
    data = request.POST if request.method == "POST" else request.GET
    if request.method == "POST" and "refresh" not in request.POST:
        form = BookingForm(
            request.POST,
            product=_int(request.POST.get("product")),
            zone=zone,
            days=_days(request),
        )
        if form.is_valid():
            booking = form.cleaned_data
            try:
                appointment = services.book(
                    account=request.user.service_account,
                    customer=request.user,
                    product=booking["product"],
                    service_type=booking["service_type"],
                    start=booking["start"],
                    comments=booking["comments"],
                    token=booking["token"],
                    zone=zone,
                )
            except services.SchedulingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Your visit is booked. We have emailed you the details.")
                return redirect("scheduling:appointment", appointment.pk)
        selected_start = request.POST.get("start")
    else:
        form = BookingForm(
            initial={"comments": data.get("comments", ""), "token": _token(data.get("token"))},
            product=_int(data.get("product")),
            zone=zone,
            days=[],
        )
        selected_start = None

    product = _choice(bookable_products(), data.get("product"))
    service_type = _choice(bookable_service_types(product), data.get("service_type"))
    context = {
        "form": form,
        "product": product,
        "service_type": service_type,
        "selected_start": selected_start,
        # A form that failed booked nothing; the next try gets a fresh token.
        "token": uuid.uuid4() if form.errors else form["token"].value(),
    }
    if service_type:
        context |= _picker(request, service_type=service_type, day=_day(data.get("day")))
    template = "scheduling/_booking_form.html" if request.htmx else "scheduling/book.html"
    return render(request, template, context)


@customer_required
@require_safe
def slots(request: HttpRequest) -> HttpResponse:
    """One day's times: the htmx partial behind a click on a day."""
    appointment = None
    if request.GET.get("appointment"):
        appointment = _own_appointment(request, _int(request.GET["appointment"]) or 0)
        service_type = appointment.service_type
    else:
        service_type = _choice(
            ServiceType.objects.filter(bookable_on_portal=True), request.GET.get("service_type")
        )
    day = _day(request.GET.get("day"))
    problem = None
    if service_type is None or day is None:
        problem = "Choose a service type and a day first."
    elif day not in _days(request):
        problem = "Pick one of the days shown."
    if problem:
        return render(request, "scheduling/_slots.html", {"problem": problem}, status=400)
    zone = customer_zone(request)
    calendar = services.availability(
        account=request.user.service_account,
        service_type=service_type,
        days=[day],
        zone=zone,
        exclude_appointment=appointment.pk if appointment else None,
    )
    context = {"slots": calendar.slots(day), "day": day, "zone": zone.key}
    return render(request, "scheduling/_slots.html", context)


@customer_required
@require_safe
def appointment(request: HttpRequest, pk: int) -> HttpResponse:
    appt = _own_appointment(request, pk)
    context = {
        "appointment": appt,
        "refusal": services.change_refusal(appt),
        "zone": customer_zone(request).key,
        "events": appt.events.order_by("at", "id"),
    }
    return render(request, "scheduling/appointment.html", context)


@customer_required
@require_safe
def calendar_file(request: HttpRequest, pk: int) -> HttpResponse:
    appt = _own_appointment(request, pk)
    # A download is published, not sent as an invitation to answer.
    response = HttpResponse(notifications.ics(appt, method="PUBLISH"), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appt.pk}.ics"'
    return response


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
@_changeable
def modify(request: HttpRequest, appt: Appointment) -> HttpResponse:
    zone = customer_zone(request)
    data = request.POST if request.method == "POST" else request.GET
    day = _day(data.get("day")) or appt.start.astimezone(zone).date()
    form = SlotForm(
        request.POST if request.method == "POST" and "refresh" not in request.POST else None,
        zone=zone,
        days=_days(request),
    )
    if form.is_bound and form.is_valid():
        try:
            services.reschedule(
                appointment=appt, start=form.cleaned_data["start"], by=request.user, zone=zone
            )
        except services.SchedulingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your visit has a new time. We have emailed you the details.")
            return redirect("scheduling:appointment", appt.pk)
    context = {
        "appointment": appt,
        "form": form,
        "selected_start": data.get("start") if form.is_bound else None,
        **_picker(request, service_type=appt.service_type, day=day, exclude=appt),
    }
    template = "scheduling/_modify_form.html" if request.htmx else "scheduling/modify.html"
    return render(request, template, context)


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
@_changeable
def cancel(request: HttpRequest, appt: Appointment) -> HttpResponse:
    form = CancelForm(request.POST or None)
    if form.is_valid():
        try:
            services.cancel(appointment=appt, reason=form.cleaned_data["reason"], by=request.user)
        except services.SchedulingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your visit is canceled. We have emailed you a confirmation.")
            return redirect("portal:home")
    context = {"appointment": appt, "form": form, "zone": customer_zone(request).key}
    return render(request, "scheduling/cancel.html", context)
