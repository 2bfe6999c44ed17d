"""The portal's URLs plus /bench/baseline/, the yardstick the slots partial is compared with:
the same middleware, the same session and user lookups (it needs a signed-in user, as the
slots do), then one query of its own and a small response."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from scheduling.models import SchedulingSettings


@login_required
def baseline(request: HttpRequest) -> HttpResponse:
    found = SchedulingSettings.objects.filter(pk=1).exists()
    return HttpResponse("ok" if found else "missing", content_type="text/plain")


urlpatterns = [
    path("bench/baseline/", baseline, name="bench_baseline"),
    path("", include("portal.urls")),
]
