"""The customer's booking pages. Every page works with plain form posts; htmx swaps in the
parts that change (service types for a product, the times for a day) without a reload."""

import uuid
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRedirect

from scheduling import notifications, selectors, services
from scheduling.catalogue import catalogue
from scheduling.forms import BookingForm, CancelForm, SlotForm
from scheduling.models import (
    Appointment,
    SchedulingSettings,
    ServiceAccount,
    ServiceType,
    customer_account,
    zone_for,
)


@dataclass(frozen=True)
class Customer:
    """Who the pages are for: the signed-in user, their site, and the zone they see times in."""

    user: Any
    account: ServiceAccount
    zone: ZoneInfo


def customer_required(view):
    """Signed in, with a service account: whose appointments the pages show. The view gets
    the Customer after the request."""

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
        account = customer_account(request.user)
        if account is None:
            return render(request, "scheduling/no_account.html", status=403)
        customer = Customer(request.user, account, zone_for(customer=request.user))
        return view(request, customer, *args, **kwargs)

    return wrapper


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _days(customer: Customer) -> list[date]:
    settings = SchedulingSettings.current()
    return services.bookable_days(now=timezone.now(), zone=customer.zone, settings=settings)


def parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def form_token(raw: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except (TypeError, ValueError):
        return uuid.uuid4()


def own_appointment(customer: Customer, pk: int) -> Appointment:
    # Another account's appointment answers 404, as if it did not exist.
    return get_object_or_404(
        Appointment.objects.select_related(
            "service_account", "service_type", "product", "resource__user"
        ),
        pk=pk,
        service_account=customer.account,
    )


def _changeable(view):
    """Hands the view the customer's own appointment while it can still be modified or
    canceled; otherwise says why, on the appointment's page."""

    @wraps(view)
    def wrapper(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
        appointment = own_appointment(customer, pk)
        refusal = services.change_refusal(appointment)
        if refusal:
            messages.error(request, refusal)
            return redirect("scheduling:appointment", appointment.pk)
        return view(request, customer, appointment)

    return wrapper


def picker(
    customer: Customer,
    *,
    service_type: ServiceType,
    day: date | None,
    exclude: Appointment | None = None,
) -> dict:
    """Days of the horizon with or without times, and the times of the chosen day."""
    calendar = services.availability(
        account=customer.account,
        service_type=service_type,
        days=_days(customer),
        zone=customer.zone,
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
        "zone": customer.zone.key,
    }


def submit_booking(
    request: HttpRequest, form: BookingForm, *, account: ServiceAccount, customer, by
) -> tuple[Appointment | None, Appointment | None]:
    """Book what a submitted form asks for, at `account` for `customer`, as `by` (who booked,
    for the history). Answers the appointment, or the similar upcoming visit to ask about
    first (unless the form confirms it). A refusal of the rules becomes the form's error;
    both are then None."""
    if not form.is_bound or not form.is_valid():
        return None, None
    booking = form.cleaned_data
    if not booking["confirm_similar"]:
        similar = selectors.similar_upcoming(
            account,
            product=booking["product"],
            service_type=booking["service_type"],
            start=booking["start"],
            token=booking["token"],
        )
        if similar is not None:
            return None, similar
    try:
        appointment = services.book(
            account=account,
            customer=customer,
            product=booking["product"],
            service_type=booking["service_type"],
            start=booking["start"],
            comments=booking["comments"],
            token=booking["token"],
            base_url=notifications.base_url_of(request),
            by=by,
        )
    except services.SchedulingError as exc:
        form.add_error(None, str(exc))
        return None, None
    return appointment, None


@customer_required
@never_cache  # the back button must not show a form whose booking is already made
@require_http_methods(["GET", "HEAD", "POST"])
def book(request: HttpRequest, customer: Customer) -> HttpResponse:
    submitted = request.method == "POST" and "refresh" not in request.POST
    data = request.POST if request.method == "POST" else request.GET
    form = BookingForm(
        request.POST if submitted else None,
        choices=data,
        initial={"comments": data.get("comments", ""), "token": form_token(data.get("token"))},
        zone=customer.zone,
        days=_days(customer) if submitted else [],
    )
    appointment, similar = submit_booking(
        request, form, account=customer.account, customer=customer.user, by=customer.user
    )
    if appointment is not None:
        messages.success(request, "Your visit is booked. We have emailed you the details.")
        return redirect("scheduling:appointment", appointment.pk)

    service_type = form.chosen_service_type
    context = {
        "form": form,
        "product": form.chosen_product,
        "service_type": service_type,
        "selected_start": request.POST.get("start") if submitted else None,
        "similar": similar,
        "zone": customer.zone.key,
        # A form that failed booked nothing; the next try gets a fresh token.
        "token": uuid.uuid4() if form.errors else form["token"].value(),
    }
    if service_type:
        context |= picker(customer, service_type=service_type, day=parse_day(data.get("day")))
    template = "scheduling/_booking_form.html" if request.htmx else "scheduling/book.html"
    return render(request, template, context)


@customer_required
@require_safe
def slots(request: HttpRequest, customer: Customer) -> HttpResponse:
    """One day's times: the htmx partial behind a click on a day."""
    appointment = None
    if request.GET.get("appointment"):
        appointment = own_appointment(customer, _int(request.GET["appointment"]) or 0)
        service_type = appointment.service_type
    else:
        pk = _int(request.GET.get("service_type"))
        service_type = catalogue().service_types.get(pk)
    day = parse_day(request.GET.get("day"))
    problem = None
    if service_type is None or day is None:
        problem = "Choose a service type and a day first."
    elif day not in _days(customer):
        problem = "Pick one of the days shown."
    if problem:
        return render(request, "scheduling/_slots.html", {"problem": problem}, status=400)
    calendar = services.availability(
        account=customer.account,
        service_type=service_type,
        days=[day],
        zone=customer.zone,
        exclude_appointment=appointment.pk if appointment else None,
    )
    context = {"slots": calendar.slots(day), "day": day, "zone": customer.zone.key}
    return render(request, "scheduling/_slots.html", context)


@customer_required
@require_safe
def appointment(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    appt = own_appointment(customer, pk)
    context = {
        "appointment": appt,
        "refusal": services.change_refusal(appt),
        "zone": customer.zone.key,
        "events": appt.events.order_by("at", "id"),
        "home_url": resolve_url(settings.LOGIN_REDIRECT_URL),
    }
    return render(request, "scheduling/appointment.html", context)


@customer_required
@require_safe
def calendar_file(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    appt = own_appointment(customer, pk)
    if not appt.is_active:
        # A canceled or completed visit has nothing left to put in a calendar.
        raise Http404("No calendar file for a canceled or completed visit.")
    # A download is published, not sent as an invitation to answer.
    response = HttpResponse(notifications.ics(appt, method="PUBLISH"), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appt.pk}.ics"'
    return response


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
@_changeable
def modify(request: HttpRequest, customer: Customer, appt: Appointment) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    day = parse_day(data.get("day")) or appt.start.astimezone(customer.zone).date()
    form = SlotForm(
        request.POST if request.method == "POST" and "refresh" not in request.POST else None,
        zone=customer.zone,
        days=_days(customer),
    )
    if form.is_bound and form.is_valid():
        try:
            services.reschedule(
                appointment=appt,
                start=form.cleaned_data["start"],
                by=customer.user,
                base_url=notifications.base_url_of(request),
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
        **picker(customer, service_type=appt.service_type, day=day, exclude=appt),
    }
    template = "scheduling/_modify_form.html" if request.htmx else "scheduling/modify.html"
    return render(request, template, context)


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
@_changeable
def cancel(request: HttpRequest, customer: Customer, appt: Appointment) -> HttpResponse:
    form = CancelForm(request.POST or None)
    if form.is_valid():
        try:
            services.cancel(
                appointment=appt,
                reason=form.cleaned_data["reason"],
                by=customer.user,
                base_url=notifications.base_url_of(request),
            )
        except services.SchedulingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Your visit is canceled. We have emailed you a confirmation.")
            # Back to where signed-in customers land, whichever app shows it.
            return redirect(settings.LOGIN_REDIRECT_URL)
    context = {"appointment": appt, "form": form, "zone": customer.zone.key}
    return render(request, "scheduling/cancel.html", context)
