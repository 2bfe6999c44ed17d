"""The feedback form: from the Past tab (signed in), or from a survey mail's link (a signed
token, no sign-in). A GET only shows the form, with the score clicked in the mail chosen:
mail scanners open every link. The POST saves."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from common.unsubscribe import unsubscribe_view
from scheduling.models import Appointment, zone_for
from scheduling.views import Customer, customer_account, customer_required, own_appointment
from surveys import links, services
from surveys.forms import ResponseForm
from surveys.models import OptOut, Response


@customer_required
@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    return _respond(request, own_appointment(customer, pk), customer=customer.user)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    try:
        appointment_id = links.appointment_of(token)
    except links.Expired:
        days = settings.SURVEY_LINK_DAYS
        return render(request, "surveys/expired.html", {"days": days}, status=410)
    if appointment_id is None:
        raise Http404("Not a survey link of ours.")
    appointment = get_object_or_404(
        Appointment.objects.select_related(
            "service_type", "product", "customer", "service_account"
        ),
        pk=appointment_id,
    )
    # Signed in as someone else: the link is not theirs to answer.
    if request.user.is_authenticated and (
        customer_account(request.user) is None
        or customer_account(request.user).pk != appointment.service_account_id
    ):
        raise Http404("Another customer's visit.")
    return _respond(request, appointment, customer=appointment.customer)


def _respond(request: HttpRequest, appointment: Appointment, *, customer) -> HttpResponse:
    context = {"appointment": appointment, "zone": _zone(appointment)}
    try:
        survey, questions = services.questions_for(appointment)
    except services.AlreadySent:
        return _sent(request, appointment)
    except services.SurveyError as exc:
        return render(request, "surveys/unavailable.html", {**context, "reason": exc}, status=409)
    form = ResponseForm(
        request.POST if request.method == "POST" else None,
        questions=questions,
        rating=request.GET.get("rating"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.submit(
                appointment=appointment,
                survey=survey,
                questions=questions,
                answers=form.answers(),
                customer=customer,
            )
        except services.AlreadySent:
            return _sent(request, appointment)
        except services.SurveyError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect(f"{request.path}?thanks=1")
    status = 400 if form.is_bound else 200
    return render(request, "surveys/form.html", {**context, "form": form}, status=status)


def _sent(request: HttpRequest, appointment: Appointment) -> HttpResponse:
    """The thank-you page, and what a second click or submit shows: the response as sent."""
    response = Response.objects.prefetch_related("answers").get(appointment=appointment)
    context = {
        "appointment": appointment,
        "zone": _zone(appointment),
        "response": response,
        "thanks": request.GET.get("thanks") == "1" and request.method != "POST",
    }
    return render(request, "surveys/sent.html", context)


def _zone(appointment: Appointment) -> str:
    return zone_for(customer=appointment.customer, account=appointment.service_account).key


def _not_our_link(request: HttpRequest) -> HttpResponse:
    raise Http404("Not an unsubscribe link of ours.")


unsubscribe = unsubscribe_view(
    OptOut,
    customer_of=links.customer_of,
    template="surveys/unsubscribe.html",
    bad_link=_not_our_link,
)
