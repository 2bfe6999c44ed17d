"""The page behind the unsubscribe link of a kind of mail (on-the-way notices, surveys),
signed in or not: the signed token in the link says whose mail it is.

A GET never unsubscribes: mail scanners and link previews open links. The POST needs no CSRF
token because a mail program's own one-click button (RFC 8058) posts with no cookie and no
token to send; the signed token in the address is what proves the link came from us."""

from collections.abc import Callable
from typing import Protocol

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

# What a mail program's own unsubscribe button posts (RFC 8058).
ONE_CLICK = "One-Click"


class Subscriptions(Protocol):
    """One kind of mail a customer can stop and start again (a module of services)."""

    def unsubscribe(self, customer_id: int) -> object: ...
    def resubscribe(self, customer_id: int) -> object: ...
    def opted_out(self, customer_id: int) -> bool: ...


def unsubscribe_view(
    subscriptions: Subscriptions,
    *,
    customer_of: Callable[[str], int | None],
    template: str,
    bad_link: Callable[[HttpRequest], HttpResponse],
):
    """The view for the links of one kind of mail: `customer_of` reads the link's token
    (None when it is not ours), `template` gets `opted_out`."""

    @csrf_exempt
    @never_cache
    @require_http_methods(["GET", "HEAD", "POST"])
    def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
        customer_id = customer_of(token)
        if customer_id is None:
            return bad_link(request)
        if request.method == "POST":
            if request.POST.get("action") == "resubscribe":
                subscriptions.resubscribe(customer_id)
            else:
                subscriptions.unsubscribe(customer_id)
            if request.POST.get("List-Unsubscribe") == ONE_CLICK:
                return HttpResponse("Unsubscribed.", content_type="text/plain")
            return redirect(request.path)
        opted_out = subscriptions.opted_out(customer_id)
        return render(request, template, {"opted_out": opted_out})

    return unsubscribe
