"""The dispatchers' results page and CSV export, in admin behind their own permissions
(surveys.view_results, surveys.export_responses)."""

import csv
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from scheduling.models import zone_for
from surveys import metrics
from surveys.models import Answer, Invitation, Question, Response

COMMENTS_SHOWN = 5


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end comes before the start.")
        return data


def admin_urls(model_admin: ModelAdmin) -> list:
    site = model_admin.admin_site
    return [
        path(
            "results/",
            site.admin_view(lambda request: results(request, model_admin)),
            name="surveys_results",
        ),
        path(
            "export/",
            site.admin_view(lambda request: export(request, model_admin)),
            name="surveys_export",
        ),
    ]


def period(form: PeriodForm) -> tuple[date, date]:
    today = timezone.localdate()
    if form.is_bound and form.is_valid():
        return form.cleaned_data["start"], form.cleaned_data["end"]
    return today - timedelta(days=29), today


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The days [start, end] on the portal's clock, as aware datetimes [from, to)."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, zone),
        datetime.combine(end + timedelta(days=1), time.min, zone),
    )


def results(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    if not request.user.has_perm("surveys.view_results"):
        raise PermissionDenied
    form = PeriodForm(request.GET if "start" in request.GET else None)
    start, end = period(form)
    since, until = bounds(start, end)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Survey results",
        "opts": model_admin.model._meta,
        "form": form,
        "start": start,
        "end": end,
        "until": end + timedelta(days=1),
        "by_technician": group(since, until, "appointment__resource", comments=True),
        "by_service_type": group(since, until, "appointment__service_type"),
        "anonymous": settings.SURVEY_ANONYMOUS_RESULTS,
        "can_export": request.user.has_perm("surveys.export_responses"),
    }
    return TemplateResponse(request, "admin/surveys/results.html", context)


def group(since: datetime, until: datetime, by: str, *, comments: bool = False) -> list[dict]:
    """One row per technician or service type: its summary and chart, and (comments) the
    latest free-text answers. A few queries whatever the number of responses."""
    responses = Response.objects.filter(submitted_at__gte=since, submitted_at__lt=until)
    rows = defaultdict(list)
    names = {}
    name_fields = [f"{by}__{field}" for field in _NAME[by]]
    for key, rating, score, *name in responses.values_list(by, "rating", "score", *name_fields):
        rows[key].append((rating, score))
        names[key] = " ".join(part for part in name if part)
    invitations = Invitation.objects.filter(sent_at__gte=since, sent_at__lt=until)
    asked, answered = defaultdict(int), defaultdict(int)
    answered_ids = set(
        Response.objects.filter(appointment__in=invitations.values("appointment")).values_list(
            "appointment_id", flat=True
        )
    )
    for key, appointment_id in invitations.values_list(by, "appointment_id"):
        asked[key] += 1
        answered[key] += appointment_id in answered_ids
    said = _comments(responses, by) if comments else {}
    out = []
    for key in sorted(rows, key=lambda k: names[k].lower()):
        summary = metrics.summarize(rows[key], asked=asked[key], answered=answered[key])
        out.append(
            {
                "key": key,
                "chart_id": f"chart-{by.rsplit('__', 1)[-1]}-{key}",
                "name": names[key],
                "summary": summary,
                "bars": metrics.bars(summary.distribution),
                "comments": said.get(key, []),
            }
        )
    return out


# How each grouping is named: a technician by their user's name, a service type by its own.
_NAME = {
    "appointment__resource": ("user__first_name", "user__last_name"),
    "appointment__service_type": ("name",),
}


def _comments(responses, by: str) -> dict:
    said = defaultdict(list)
    answers = (
        Answer.objects.filter(response__in=responses, kind=Question.Kind.TEXT)
        .exclude(value="")
        .order_by("-response__submitted_at", "position")
        .values_list(
            f"response__{by}",
            "value",
            "response__customer__first_name",
            "response__customer__last_name",
            "response__submitted_at",
        )
    )
    for key, value, first, last, at in answers:
        if len(said[key]) < COMMENTS_SHOWN:
            name = "" if settings.SURVEY_ANONYMOUS_RESULTS else f"{first} {last}".strip()
            said[key].append({"text": value, "name": name, "at": at})
    return said


def export(request: HttpRequest, model_admin: ModelAdmin) -> HttpResponse:
    """The responses the list shows (its filters and search), a row each, with the visit's
    times on its site's clock."""
    if not request.user.has_perm("surveys.export_responses"):
        raise PermissionDenied
    responses = (
        model_admin.get_changelist_instance(request)
        .get_queryset(request)
        .select_related(
            "customer",
            "appointment__service_account__territory",
            "appointment__service_type",
            "appointment__resource__user",
        )
        .prefetch_related("answers")
        .order_by("submitted_at", "pk")
    )
    writer = csv.writer(_Echo())
    anonymous = settings.SURVEY_ANONYMOUS_RESULTS

    def rows():
        yield writer.writerow(HEADER)
        for response in responses.iterator(chunk_size=500):
            yield writer.writerow(row(response, anonymous=anonymous))

    reply = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    reply["Content-Disposition"] = 'attachment; filename="survey-responses.csv"'
    return reply


HEADER = [
    "response",
    "submitted (local)",
    "visit",
    "visit start (local)",
    "time zone",
    "technician",
    "service type",
    "territory",
    "customer",
    "rating",
    "score",
    "answers",
]


def row(response: Response, *, anonymous: bool) -> list:
    appointment = response.appointment
    zone = zone_for(account=appointment.service_account)
    customer = response.customer
    return [
        response.pk,
        response.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        appointment.pk,
        appointment.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        zone.key,
        str(appointment.resource),
        appointment.service_type.name,
        appointment.service_account.territory.name,
        "" if anonymous or customer is None else customer.get_full_name() or customer.email,
        "" if response.rating is None else response.rating,
        "" if response.score is None else response.score,
        " | ".join(f"{a.text}: {a.display}" for a in response.answers.all()),
    ]


class _Echo:
    """csv.writer writes to it, the view streams what it returns."""

    def write(self, value: str) -> str:
        return value
