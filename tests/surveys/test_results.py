"""The dispatchers' results: the responses list with its filters and search, the results
page per technician and service type, the CSV export, each behind its own permission."""

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from surveys import services
from surveys.models import Invitation, Response
from tests.factories import ResourceFactory, ServiceTypeFactory, UserFactory
from tests.support.mfa import sign_in_with_totp
from tests.surveys.conftest import finished

pytestmark = pytest.mark.django_db
RESULTS = reverse("admin:surveys_results")
EXPORT = reverse("admin:surveys_export")
LIST = reverse("admin:surveys_response_changelist")


def respond(appointment, survey, *, rating, score=None, comment=""):
    """A completed, asked and answered visit."""
    appointment.status = "completed"
    appointment.save()
    Invitation.objects.create(appointment=appointment, survey=survey, sent_at=timezone.now())
    by_kind = {q.kind: q.pk for q in survey.questions.all()}
    values = {by_kind["rating"]: rating, by_kind["score"]: score, by_kind["text"]: comment}
    return services.submit(
        appointment=appointment,
        survey=survey,
        questions=survey.questions.all(),
        answers=values,
        customer=appointment.customer,
    )


@pytest.fixture
def responses(account, alice, technician, repair, heat_pump, survey):
    """Terry: ratings 5 and 4 (scores 10 and 6), one visit asked and unanswered; Rita: 2."""
    rita = ResourceFactory(
        territories=[account.territory], user__first_name="Rita", user__last_name="Repairs"
    )
    install = ServiceTypeFactory(name="Install", products=[heat_pump])
    survey.service_types.add(install)
    respond(finished(account, technician, repair, customer=alice), survey, rating=5, score=10,
            comment="Spotless work")  # fmt: skip
    respond(finished(account, technician, install, customer=alice), survey, rating=4, score=6)
    unanswered = finished(account, technician, repair, customer=alice)
    Invitation.objects.create(appointment=unanswered, survey=survey, sent_at=timezone.now())
    respond(finished(account, rita, repair, customer=alice), survey, rating=2)
    return rita


def staff_with(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="surveys", codename__in=codenames)
    )
    return user


def test_results_need_their_own_permission(client, responses):
    sign_in_with_totp(client, staff_with("view_response"))
    assert client.get(RESULTS).status_code == 403
    assert client.get(EXPORT).status_code == 403
    sign_in_with_totp(client, staff_with("view_results"))
    assert client.get(RESULTS).status_code == 200


def test_results_per_technician_and_service_type(admin_client, responses):
    response = admin_client.get(RESULTS)
    assert response.status_code == 200
    by_tech = {row["name"]: row for row in response.context["by_technician"]}
    terry = by_tech["Terry Tech"]["summary"]
    assert (terry.count, terry.asked, terry.answered) == (2, 3, 2)
    assert terry.average == 4.5
    assert terry.csat == 100
    assert terry.nps == 0  # one promoter, one detractor
    assert terry.distribution == (0, 0, 0, 1, 1)
    assert by_tech["Rita Repairs"]["summary"].csat == 0
    by_type = {row["name"]: row["summary"] for row in response.context["by_service_type"]}
    assert by_type["Repair visit"].count == 2
    assert by_type["Install"].average == 4

    html = response.content.decode()
    assert '<svg role="img"' in html
    assert "<title id=" in html and "<desc id=" in html
    assert "Ratings 1 to 5: 0, 0, 0, 1, 1" in html  # the figures in text, too
    assert "Spotless work" in html and "Alice" in html


def test_the_period_is_chosen(admin_client, responses):
    day = timezone.localdate() + timedelta(days=1)
    response = admin_client.get(RESULTS, {"start": day, "end": day})
    assert response.context["by_technician"] == []
    assert "No responses in this period." in response.content.decode()
    backwards = admin_client.get(RESULTS, {"start": day, "end": day - timedelta(days=2)})
    assert "The end comes before the start." in backwards.content.decode()


def test_a_setting_hides_customers_from_the_per_technician_results(
    admin_client, responses, settings
):
    settings.SURVEY_ANONYMOUS_RESULTS = True
    html = admin_client.get(RESULTS).content.decode()
    assert "Spotless work” — anonymous" in html
    assert "Alice" not in html.split("Per technician", 1)[1]
    rows = list(csv.reader(io.StringIO(b"".join(admin_client.get(EXPORT)).decode())))
    assert {row[8] for row in rows[1:]} == {""}


def test_the_csv_export_has_the_visit_technician_service_type_and_local_times(
    admin_client, responses
):
    reply = admin_client.get(EXPORT)
    assert reply["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(reply.streaming_content).decode())))
    assert len(rows) == 3
    first = Response.objects.order_by("submitted_at", "pk").select_related("appointment").first()
    row = rows[0]
    assert row["visit"] == str(first.appointment_id)
    assert row["technician"] == "Terry Tech"
    assert row["service type"] == "Repair visit"
    assert row["time zone"] == "America/Los_Angeles"
    local = first.appointment.start.astimezone(ZoneInfo("America/Los_Angeles"))
    assert row["visit start (local)"] == local.strftime("%Y-%m-%d %H:%M")
    assert row["rating"] == "5"
    assert "Anything else?: Spotless work" in row["answers"]


def test_the_export_follows_the_list_filters(admin_client, responses):
    reply = admin_client.get(EXPORT, {"appointment__resource__id__exact": responses.pk})
    rows = list(csv.DictReader(io.StringIO(b"".join(reply.streaming_content).decode())))
    assert [row["technician"] for row in rows] == ["Rita Repairs"]


def test_the_responses_list_filters_and_searches(admin_client, responses, repair):
    listing = admin_client.get(LIST, {"appointment__resource__id__exact": responses.pk})
    assert listing.context["cl"].result_count == 1
    by_type = admin_client.get(LIST, {"appointment__service_type__id__exact": repair.pk})
    assert by_type.context["cl"].result_count == 2
    territory = responses.territories.first()
    assert (
        admin_client.get(LIST, {"appointment__service_account__territory__id__exact": territory.pk})
        .context["cl"]
        .result_count
        == 3
    )
    assert admin_client.get(LIST, {"q": "Spotless"}).context["cl"].result_count == 1
    html = admin_client.get(LIST).content.decode()
    assert RESULTS in html and EXPORT in html


def test_a_survey_is_edited_with_inline_questions(admin_client, survey):
    page = admin_client.get(reverse("admin:surveys_survey_change", args=[survey.pk]))
    assert page.status_code == 200
    assert "How likely are you to recommend us?" in page.content.decode()


def test_a_choice_question_needs_two_choices(survey):
    from django.core.exceptions import ValidationError

    from surveys.models import Question

    question = Question(survey=survey, kind=Question.Kind.CHOICE, text="Which?", choices="Only")
    with pytest.raises(ValidationError, match="at least two choices"):
        question.full_clean()
    question.choices = "One\nTwo"
    question.full_clean()
