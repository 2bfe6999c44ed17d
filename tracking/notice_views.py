"""Unsubscribing from the on-the-way notices, from the link in each of them, signed in or
not: the signed token in the link says whose notices they are."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracking import notice_mail, notices

# RFC 8058: a mail program's own "unsubscribe" button posts this, with no cookie.
ONE_CLICK = "One-Click"


# A GET never unsubscribes: mail scanners and link previews open links. The POST needs no
# CSRF token because the mail program's one-click POST has none to send; the signed token in
# the address is what proves the link came from us.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    customer_id = notice_mail.customer_of(token)
    if customer_id is None:
        return render(request, "tracking/notices/bad_link.html", status=400)
    if request.method == "POST":
        if request.POST.get("action") == "resubscribe":
            notices.resubscribe(customer_id)
        else:
            notices.unsubscribe(customer_id)
        if request.POST.get("List-Unsubscribe") == ONE_CLICK:
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        return redirect(request.path)
    return render(
        request,
        "tracking/notices/unsubscribe.html",
        {"opted_out": notices.opted_out(customer_id)},
    )
