"""The customer's live map of a Traveling visit: the page, and the small JSON its script
polls for the technician's latest position. Both show what tracking.livemap decides, so the
refresh never reveals more than the page. The refresh is asked with the key the page hands
its script (tracking.map_keys), under /api/, so it costs no session, user or page middleware."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from scheduling.views import Customer, customer_required
from tracking import livemap, map_keys


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
        "refresh_key": map_keys.issue(visit.pk, customer.account.pk, customer.zone),
        "poll_seconds": settings.MAP_POLL_SECONDS,
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
    }
    return render(request, "tracking/live_map.html", context)


@require_safe
def live_map_state(request: HttpRequest, pk: int) -> JsonResponse:
    """The refresh, with the page's key as `Authorization: Bearer`: a key that is not ours,
    has run out or is another visit's is a 403 (the script then reloads the page), and a
    visit that is no longer Traveling answers its new state with no position, which stops
    the polling."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    held = map_keys.read(key.strip(), pk) if scheme.lower() == "bearer" else None
    if held is None:
        return _no_store(JsonResponse({"detail": "This map needs reloading."}, status=403))
    account_id, zone = held
    visit = livemap.visit(pk=pk, account_id=account_id, zone=zone)
    if visit is None:
        return _no_store(JsonResponse({"detail": "No such appointment."}, status=404))
    return _no_store(JsonResponse(livemap.current(visit).as_json()))


def _no_store(response: JsonResponse) -> JsonResponse:
    # Kept nowhere, as never_cache would say at greater length: this answers every open map.
    response["Cache-Control"] = "no-store"
    return response
