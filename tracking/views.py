"""The customer's live map of a Traveling visit."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from scheduling.views import Customer, customer_required, own_appointment


@customer_required
@require_safe
def live_map(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    appointment = own_appointment(customer, pk)
    return render(request, "tracking/live_map.html", {"appointment": appointment})
