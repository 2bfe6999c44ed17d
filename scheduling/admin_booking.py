"""Booking on behalf of a customer, from admin. A dispatcher finds the customer, then chooses
the site, the product, the kind of visit, a day and one of the times offered on it: the same
offer, the same rules and the same booking service as the customer's own booking page
(scheduling.views), so the same overlap guarantee, the same confirmation mail and the same
history, with the dispatcher as its author. Plain form posts, one step at a time; with scripts
on, htmx posts each step as its choice changes and swaps the form in (the templates say how)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone

from scheduling import services, timelabels
from scheduling.forms import OnBehalfForm
from scheduling.models import Appointment, SchedulingSettings, customer_account, zone_for
from scheduling.templatetags.scheduling_tags import duration
from scheduling.views import Customer, form_token, parse_day, picker, submit_booking

# How many customers a search lists; a longer list wants a narrower search.
FOUND_AT_MOST = 25


def customers() -> QuerySet:
    """The users who are customers: active, with a site."""
    site = settings.CUSTOMER_ACCOUNT_FIELD
    return (
        get_user_model()
        ._default_manager.filter(is_active=True, **{f"{site}__isnull": False})
        .select_related(site)
        .order_by("last_name", "first_name", "email")
    )


def customers_of(site) -> QuerySet:
    return customers().filter(**{settings.CUSTOMER_ACCOUNT_FIELD: site})


def customer_sites(customer) -> list:
    """The sites a visit may be booked at for this customer: today the one they belong to."""
    site = customer_account(customer)
    return [site] if site is not None else []


def find_customer(model_admin, request: HttpRequest) -> HttpResponse:
    """Where "Add appointment" leads: an appointment is booked for a customer, so first
    find them by name, email or site."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:200]
    found = None
    if query:
        words = Q()
        for word in query.split()[:5]:
            words &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(email__icontains=word)
                | Q(**{f"{settings.CUSTOMER_ACCOUNT_FIELD}__name__icontains": word})
            )
        found = [(c, customer_account(c)) for c in customers().filter(words)[: FOUND_AT_MOST + 1]]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Appointment._meta,
        "title": "Book a visit: find the customer",
        "query": query,
        "found": found[:FOUND_AT_MOST] if found is not None else None,
        "more": found is not None and len(found) > FOUND_AT_MOST,
    }
    return TemplateResponse(request, "admin/scheduling/appointment/find_customer.html", context)


def book(model_admin, request: HttpRequest, customer_id: int) -> HttpResponse:
    """The booking form for one customer. The steps (site and product, kind of visit, day,
    time) are plain submits named `refresh`; the last one books."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    customer = get_object_or_404(customers(), pk=customer_id)
    sites = customer_sites(customer)
    submitted = request.method == "POST" and "refresh" not in request.POST
    data = request.POST if request.method == "POST" else request.GET
    site = _chosen_site(sites, data)
    # Times are the site's, as everywhere in admin for an appointment.
    zone = zone_for(account=site)
    rules = SchedulingSettings.current()
    days = services.bookable_days(now=timezone.now(), zone=zone, settings=rules)
    form = OnBehalfForm(
        request.POST if submitted else None,
        choices=data,
        sites=sites,
        initial={"comments": data.get("comments", ""), "token": form_token(data.get("token"))},
        zone=zone,
        days=days if submitted else [],
    )
    appointment, similar = None, None
    if submitted and form.is_valid():
        appointment, similar = submit_booking(
            request, form, account=form.cleaned_data["site"], customer=customer, by=request.user
        )
    if appointment is not None:
        # Into admin's log as well, where a supervisor reads every dispatcher's changes.
        model_admin.log_addition(request, appointment, f"Booked on behalf of {customer}.")
        model_admin.message_user(request, _booked(appointment, customer), messages.SUCCESS)
        return redirect("admin:scheduling_appointment_change", appointment.pk)

    service_type = form.chosen_service_type
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Appointment._meta,
        "title": f"Book a visit for {customer}",
        "customer": customer,
        "form": form,
        "site": site,
        "product": form.chosen_product,
        "service_type": service_type,
        "selected_start": request.POST.get("start") if submitted else None,
        "similar": similar,
        "steps": _steps(form),
        "zone": zone.key,
        # A form that failed booked nothing; the next try gets a fresh token.
        "token": form_token(None) if form.errors else form["token"].value(),
    }
    if site is not None and service_type is not None:
        on_site = Customer(customer, site, zone)
        context |= picker(on_site, service_type=service_type, day=parse_day(data.get("day")))
    return TemplateResponse(request, "admin/scheduling/appointment/book_on_behalf.html", context)


def _steps(form: OnBehalfForm) -> dict:
    """The choices of each step's select, as (value, text)."""
    return {
        "sites": [(site.pk, f"{site.name}, {site.address}") for site in form.sites],
        # With one site there is nothing to choose: it is selected from the start.
        "site_placeholder": "" if len(form.sites) == 1 else "Choose a site",
        "products": [(product.pk, product.name) for product in form.products],
        "service_types": [
            (st.pk, f"{st.name} ({duration(st.duration)})") for st in form.service_types
        ],
    }


def _chosen_site(sites: list, data):
    """The site the form names, if it is one of the customer's; the only one when there is
    one and the form names none."""
    by_pk = {str(site.pk): site for site in sites}
    raw = data.get("site")
    if raw:
        return by_pk.get(raw)
    return sites[0] if len(sites) == 1 else None


def _booked(appointment: Appointment, customer) -> str:
    period = timelabels.local_period(
        appointment.start, appointment.end, zone_for(account=appointment.service_account)
    )
    return (
        f"Booked {appointment.service_type} for {customer} at {appointment.service_account}, "
        f"{period}, with {appointment.resource}. The confirmation mail goes to {customer.email}."
    )
