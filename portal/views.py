from allauth.account.forms import LoginForm
from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from common import attempts
from portal import closing, services
from portal.customer_data import customer_data
from portal.forms import (
    CloseAccountForm,
    CreateProfileForm,
    ProfileForm,
    RedeemForm,
    names_from_contact,
)
from portal.models import Invitation
from scheduling import selectors
from scheduling.models import zone_for
from surveys.services import feedback_states

REDEEM_SESSION_KEY = "portal_redeem_invitation"
TOO_MANY_ATTEMPTS = (
    "Too many invitation codes were tried from your network. Wait 15 minutes, then try again."
)
ALREADY_SIGNED_IN = "You are already signed in. Sign out to redeem another invitation."


def _redirect(request: HttpRequest, to: str) -> HttpResponse:
    url = reverse(to)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_http_methods(["GET", "HEAD", "POST"])
def redeem(request: HttpRequest) -> HttpResponse:
    """The sign-in page's "Redeem invitation" tab."""
    if request.user.is_authenticated:
        messages.info(request, ALREADY_SIGNED_IN)
        return _redirect(request, "portal:home")
    status = 200
    if request.method != "POST":  # GET, or HEAD: the same page without its body
        form = RedeemForm(initial={"code": request.GET.get("code", "")})
    else:
        form = RedeemForm(request.POST)
        # A failed attempt is used up before the code is looked up and given back when the
        # code is good, so a burst of wrong codes checks no more of them than the limit.
        allowed = ratelimit.consume(request, action="redeem")
        rates = settings.ACCOUNT_RATE_LIMITS["redeem_failed"]
        attempt = None
        if allowed:
            attempt = attempts.take_attempt(request, action="redeem_failed", rates=rates)
        if attempt is None:
            form.add_error(None, TOO_MANY_ATTEMPTS)
            status = 429
        elif not form.is_valid():
            attempt.give_back()  # nothing was looked up
        else:
            try:
                invitation = services.find_redeemable(form.cleaned_data["code"])
            except services.InvitationError as exc:
                form.add_error("code", str(exc))
            else:
                attempt.give_back()
                request.session[REDEEM_SESSION_KEY] = invitation.pk
                return _redirect(request, "portal:create_profile")
    template = "portal/_redeem_form.html" if request.htmx else "portal/redeem.html"
    context = {"redeem_form": form, "tab": "redeem", "login_form": LoginForm(request=request)}
    return render(request, template, context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def create_profile(request: HttpRequest) -> HttpResponse:
    """Second step of redeeming: the customer's own details and password."""
    if request.user.is_authenticated:
        # Someone signed in after the first step: finishing would make a second account and
        # swap the session over to it.
        request.session.pop(REDEEM_SESSION_KEY, None)
        messages.info(request, ALREADY_SIGNED_IN)
        return redirect("portal:home")
    invitation_id = request.session.get(REDEEM_SESSION_KEY)
    invitation = (
        Invitation.objects.select_related("service_account").filter(pk=invitation_id).first()
        if invitation_id
        else None
    )
    try:
        services.check_redeemable(invitation)
    except services.InvitationError as exc:
        request.session.pop(REDEEM_SESSION_KEY, None)
        messages.error(request, str(exc) if invitation else "Enter your invitation code first.")
        return redirect("portal:redeem")

    account = invitation.service_account
    initial = {
        "time_zone": account.time_zone or settings.PORTAL_DEFAULT_TIME_ZONE,
        **names_from_contact(invitation.contact_name),
    }
    form = CreateProfileForm(
        request.POST or None, email=invitation.email, initial=initial, suggest_device_zone=True
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.redeem_invitation(
                invitation_id=invitation.pk,
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                time_zone=data["time_zone"],
                password=data["password1"],
            )
        except services.InvitationError as exc:
            form.add_error(None, str(exc))
        else:
            request.session.pop(REDEEM_SESSION_KEY, None)
            login(request, user, backend="portal.auth.AuthenticationBackend")
            messages.success(request, f"Welcome, {user.first_name}! Your profile is ready.")
            return redirect("portal:home")
    context = {"form": form, "invitation": invitation, "account": account}
    return render(request, "portal/create_profile.html", context)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    account = request.user.service_account
    tab = "past" if request.GET.get("tab") == "past" else "upcoming"
    appointments = selectors.home_appointments(account) if account else None
    if appointments is not None and tab == "past":
        feedback_states(appointments.past)
    context = {
        "account": account,
        "tab": tab,
        "appointments": appointments,
        "zone": zone_for(customer=request.user, account=account).key,
    }
    return render(request, "portal/home.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    account = user.service_account
    initial = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        # No zone of their own (made in admin): the form asks for one, starting from the site's.
        "time_zone": zone_for(customer=user, account=account).key,
    }
    form = ProfileForm(
        request.POST or None, initial=initial, suggest_device_zone=not user.time_zone
    )
    if request.method == "POST" and form.is_valid():
        services.update_profile(user=user, **form.cleaned_data)
        messages.success(request, "Your profile was saved.")
        return redirect("portal:profile")
    return render(request, "portal/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD"])
def download_data(request: HttpRequest) -> HttpResponse:
    """The customer's data as a JSON file (portal.customer_data says what is in it)."""
    data = customer_data(user=request.user)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    day = timezone.now().astimezone(zone_for(customer=request.user)).date()
    response["Content-Disposition"] = f'attachment; filename="my-data-{day:%Y-%m-%d}.json"'
    add_never_cache_headers(response)  # personal data: no shared or browser cache keeps it
    return response


CLOSED_MESSAGE = (
    "Your account is closed and your personal data erased. We will send you no more email."
)
# The confirmation accepts the password: wrong guesses are limited, so that a borrowed
# session cannot be used to find the password out.
CLOSE_CONFIRM_FAILED_RATES = "5/15m/ip"
TOO_MANY_CONFIRMATIONS = "Too many wrong confirmations. Wait 15 minutes, then try again."


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def close_account(request: HttpRequest) -> HttpResponse:
    """Confirm, then close: the visits stay for the company's records without the person."""
    user = request.user
    form = CloseAccountForm(request.POST or None, user=user)
    status = 200
    if request.method == "POST":
        # Used up before the password is checked, given back when it was right.
        attempt = attempts.take_attempt(
            request, action="close_confirm_failed", rates=CLOSE_CONFIRM_FAILED_RATES
        )
        if attempt is None:
            form = CloseAccountForm(user=user)  # what was typed is not even checked
            messages.error(request, TOO_MANY_CONFIRMATIONS)
            status = 429
        elif form.is_valid():
            attempt.give_back()
            try:
                closing.close_account(user=user)
            except closing.ClosingError as exc:
                form.add_error(None, str(exc))
            else:
                logout(request)
                messages.success(request, CLOSED_MESSAGE)
                return redirect("account_login")
    context = {"form": form, "plan": closing.plan(user=user)}
    return render(request, "portal/close_account.html", context, status=status)
