"""The page behind the unsubscribe link of a kind of mail (on-the-way notices, surveys),
signed in or not: the signed token in the link says whose mail it is.

A GET never unsubscribes: mail scanners and link previews open links. The POST needs no CSRF
token because a mail program's own one-click button (RFC 8058) posts with no cookie and no
token to send; the signed token in the address is what proves the link came from us."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from common.optouts import CustomerOptOut

# What a mail program's own unsubscribe button posts (RFC 8058).
ONE_CLICK = "One-Click"


def unsubscribe_view(
    opt_outs: type[CustomerOptOut],
    *,
    customer_of: Callable[[str], int | None],
    template: str,
    bad_link: Callable[[HttpRequest], HttpResponse],
):
    """The view for the links of one kind of mail, whose opt-outs are `opt_outs`:
    `customer_of` reads the link's token (None when it is not ours), `template` gets
    `opted_out`."""

    @csrf_exempt
    @never_cache
    @require_http_methods(["GET", "HEAD", "POST"])
    def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
        customer_id = customer_of(token)
        if customer_id is None:
            return bad_link(request)
        if request.method == "POST":
            if request.POST.get("action") == "resubscribe":
                opt_outs.remove(customer_id)
            else:
                opt_outs.add(customer_id)
            if request.POST.get("List-Unsubscribe") == ONE_CLICK:
                return HttpResponse("Unsubscribed.", content_type="text/plain")
            return redirect(request.path)
        opted_out = opt_outs.holds(customer_id)
        return render(request, template, {"opted_out": opted_out})

    return unsubscribe
