"""The technicians' web app (/tech/): one phone-sized page that is a client of the
technicians' API (tracking.api), as any tracker app is. It pairs with a code from admin
(typed, or read from `?code=` when the phone's camera opened the QR image's link), keeps the
device token in the browser (localStorage) and sends it as a Bearer token; it lists the day's
visits, moves them along (Start travel, Arrived, Completed, Turned back) and, while
Traveling, shares the phone's location in batches (static/js/tech.js).

It needs JavaScript, and says so: sharing a location is script work, and plain form posts
for pairing and statuses would need a second credential (the token in a cookie, with CSRF)
and a second rendering of the day for a page that still could not share a location. A
technician without scripts uses OwnTracks or Overland, and the dispatcher moves the visit."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    # Nothing here depends on who asks: the token never reaches this view, only the API.
    return render(request, "tracking/tech/home.html", {"api_url": reverse("tech-api-v1:api-root")})
