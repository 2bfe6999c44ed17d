"""The customer's live map of a Traveling visit: the page, and the small JSON its script
polls for the technician's latest position. Both show what tracking.livemap decides, so the
refresh never reveals more than the page."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from scheduling.views import Customer, customer_required
from tracking import livemap


def _own_visit(customer: Customer, pk: int) -> livemap.Visit:
    # Another site's visit answers 404, as if it did not exist (as scheduling's pages do).
    visit = livemap.visit(pk=pk, account_id=customer.account.pk, zone=customer.zone)
    if visit is None:
        raise Http404("No such appointment.")
    return visit


@customer_required
@never_cache  # the back button must not bring back an old position
@require_safe
def live_map(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    visit = _own_visit(customer, pk)
    shown = livemap.current(visit)
    context = {
        "visit": visit,
        "zone": customer.zone.key,
        "map": shown,
        "map_json": shown.as_json(),
        "poll_seconds": settings.MAP_POLL_SECONDS,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return render(request, "tracking/live_map.html", context)


@customer_required
@require_safe
def live_map_state(request: HttpRequest, customer: Customer, pk: int) -> JsonResponse:
    """The refresh: another customer's visit is a 404 here too, and a visit that is no
    longer Traveling answers its new state with no position, which stops the polling."""
    response = JsonResponse(livemap.current(_own_visit(customer, pk)).as_json())
    # Kept nowhere, as never_cache would say at greater length: this answers every open map.
    response["Cache-Control"] = "no-store"
    return response
