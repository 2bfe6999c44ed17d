import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import OutboxMessage
from scheduling import services
from scheduling.models import Appointment
from surveys.mail import SUBJECTS
from surveys.models import Question, Survey
from tests.factories import AppointmentFactory

Status = Appointment.Status
Kind = Question.Kind


@pytest.fixture
def survey(repair):
    return make_survey(repair)


def make_survey(service_type) -> Survey:
    """Five questions, one of each kind, asked after visits of `service_type`."""
    survey = Survey.objects.create(name="After the visit")
    survey.service_types.add(service_type)
    for position, (kind, text, required, choices) in enumerate(
        [
            (Kind.RATING, "How was the visit?", True, ""),
            (Kind.SCORE, "How likely are you to recommend us?", False, ""),
            (Kind.YES_NO, "Was the technician on time?", True, ""),
            (Kind.CHOICE, "What mattered most?", False, "Speed\nPrice\nCare"),
            (Kind.TEXT, "Anything else?", False, ""),
        ]
    ):
        survey.questions.create(
            position=position, kind=kind, text=text, required=required, choices=choices
        )
    return survey


def finished(account, technician, service_type, *, customer, start=None) -> Appointment:
    """A visit of the past hour, still In Progress."""
    start = start or timezone.now() - timedelta(hours=1)
    return AppointmentFactory(
        service_account=account,
        customer=customer,
        service_type=service_type,
        resource=technician,
        start=start,
        status=Status.IN_PROGRESS,
    )


@pytest.fixture
def in_progress(account, alice, technician, repair):
    return finished(account, technician, repair, customer=alice)


@pytest.fixture
def complete(dispatcher, django_capture_on_commit_callbacks):
    """Complete a visit as any caller does, the signal after commit included."""

    def run(appointment):
        with django_capture_on_commit_callbacks(execute=True):
            services.transition(appointment=appointment, to=Status.COMPLETED, by=dispatcher)
        appointment.refresh_from_db()
        return appointment

    return run


@pytest.fixture
def completed(in_progress, survey, complete):
    return complete(in_progress)


def survey_mails(kind: str | None = None):
    subjects = [SUBJECTS[kind]] if kind else list(SUBJECTS.values())
    return OutboxMessage.objects.filter(subject__in=subjects).order_by("id")


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def form_url(appointment) -> str:
    from surveys import links

    return reverse("surveys:respond", args=[links.response_token(appointment.pk)])


def answers(survey, **overrides) -> dict:
    """A valid POST for the survey: rating 4, score 9, on time, Care, a comment."""
    q = {question.kind: f"q{question.pk}" for question in survey.questions.all()}
    data = {
        q[Kind.RATING]: "4",
        q[Kind.SCORE]: "9",
        q[Kind.YES_NO]: "yes",
        q[Kind.CHOICE]: "Care",
        q[Kind.TEXT]: "Friendly and quick.",
    }
    data.update({q[kind]: value for kind, value in overrides.items()})
    return data
