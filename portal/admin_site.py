"""Admin asks staff for a second factor. Signing in is allauth's, which asks for the code of the
authenticator app (TOTP) when the user has one; admin opens only to staff who have one and
whose session was signed in with it. Staff without one are sent to set it up first."""

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

SET_UP_FIRST = "Dispatch needs a second factor: set up an authenticator app to continue."


def has_authenticator_app(user) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def signed_in_with_second_factor(request: HttpRequest) -> bool:
    """The app's code (or a recovery code) was given in this session: at sign-in, or when
    allauth asked again (mfa_reauthenticate)."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def second_factor_ok(request: HttpRequest) -> bool:
    # Asked several times per admin page (each view, each_context): one query per request.
    if not hasattr(request, "_second_factor_ok"):
        request._second_factor_ok = signed_in_with_second_factor(request) and has_authenticator_app(
            request.user
        )
    return request._second_factor_ok


class DispatchSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and second_factor_ok(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """Where admin sends whoever it refuses: to allauth's sign-in when signed out, to set
        up or give the second factor when missing; admin's own password form never shows."""
        next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, resolve_url(settings.LOGIN_URL))
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not has_authenticator_app(user):
            messages.info(request, SET_UP_FIRST)
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if not signed_in_with_second_factor(request):
            return redirect_to_login(next_url, reverse("mfa_reauthenticate"))
        return HttpResponseRedirect(next_url)
