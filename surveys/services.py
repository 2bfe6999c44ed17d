"""Asking for feedback on a completed visit, the one reminder, and saving the response.

Each mail goes at most once per visit: the survey mail is written to the outbox in the
transaction that inserts the visit's Invitation (a unique row; a second sender's insert
fails), the reminder in the one that sets its `reminded_at` by a conditional update (a second
sender updates nothing). A response is one row per visit too: of two racing submits, the
second insert waits for the first and fails, and the customer sees the response already sent."""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from scheduling.models import Appointment
from surveys.mail import SurveyMail
from surveys.models import Answer, Invitation, OptOut, Question, Response, Survey

COMPLETED = Appointment.Status.COMPLETED


class SurveyError(Exception):
    """Why feedback cannot be given; shown to the customer."""


class NotCompleted(SurveyError):
    pass


class NoSurvey(SurveyError):
    pass


class AlreadySent(SurveyError):
    pass


def survey_for(service_type_id: int) -> Survey | None:
    """The enabled survey that asks about visits of this service type (the first by name,
    should several), or None: surveys are off for it."""
    if not settings.SURVEYS_ENABLED:
        return None
    return (
        Survey.objects.filter(enabled=True, service_types=service_type_id)
        .order_by("name", "pk")
        .first()
    )


def surveyed_types() -> set[int]:
    """The ids of the service types some enabled survey asks about, in one query."""
    if not settings.SURVEYS_ENABLED:
        return set()
    through = Survey.service_types.through
    return set(
        through.objects.filter(survey__enabled=True).values_list("servicetype_id", flat=True)
    )


def transitioned(sender, appointment, from_status, to_status, base_url=None, **kwargs) -> None:
    """Receiver of scheduling.signals.appointment_transitioned (after commit)."""
    if to_status == COMPLETED:
        ask(appointment.pk, base_url=base_url)


def ask(appointment_id: int, *, base_url: str | None = None) -> bool:
    """Write the survey mail of a completed visit, unless surveys are off for its service
    type, its customer unsubscribed or has no address, or it was asked already. Whether this
    call wrote it."""
    with transaction.atomic():
        appointment = (
            _mailable()
            .filter(pk=appointment_id, status=COMPLETED)
            .select_related("customer")
            .first()
        )
        if appointment is None:
            return False
        survey = survey_for(appointment.service_type_id)
        if survey is None:
            return False
        try:
            # Insert, not read then write: two senders may both have found no row.
            with transaction.atomic():
                Invitation.objects.create(
                    appointment=appointment, survey=survey, sent_at=timezone.now()
                )
        except IntegrityError:
            return False
        SurveyMail(
            kind="ask",
            appointment=appointment,
            survey=survey,
            base_url=base_url or settings.PORTAL_BASE_URL,
        ).send()
    return True


def remind_due(*, now: datetime | None = None) -> int:
    """Send the one reminder of every survey asked SURVEY_REMINDER_DAYS ago or more and still
    unanswered; how many were sent."""
    now = now or timezone.now()
    due = (
        Invitation.objects.filter(
            reminded_at=None,
            sent_at__lte=now - timedelta(days=settings.SURVEY_REMINDER_DAYS),
            # No point reminding of a link that no longer opens.
            sent_at__gt=now - timedelta(days=settings.SURVEY_LINK_DAYS),
        )
        .exclude(Exists(Response.objects.filter(appointment=OuterRef("appointment"))))
        .values_list("pk", flat=True)
    )
    return sum(remind(pk, now=now) for pk in due)


def remind(invitation_id: int, *, now: datetime) -> bool:
    with transaction.atomic():
        claimed = Invitation.objects.filter(pk=invitation_id, reminded_at=None).update(
            reminded_at=now
        )
        if not claimed:
            return False  # another worker's
        invitation = Invitation.objects.get(pk=invitation_id)
        appointment = (
            _mailable()
            .filter(pk=invitation.appointment_id)
            .exclude(Exists(Response.objects.filter(appointment=OuterRef("pk"))))
            .select_related("customer")
            .first()
        )
        survey = appointment and survey_for(appointment.service_type_id)
        if survey is None:
            # Answered, unsubscribed or switched off since: the row says it was dealt with.
            return False
        SurveyMail(
            kind="remind", appointment=appointment, survey=survey, base_url=settings.PORTAL_BASE_URL
        ).send()
    return True


def _mailable():
    return (
        Appointment.objects.exclude(customer=None)
        .exclude(customer__email="")
        .exclude(Exists(OptOut.objects.filter(customer=OuterRef("customer"))))
    )


# --- Responding ------------------------------------------------------------------------------


def questions_for(appointment: Appointment) -> tuple[Survey, list[Question]]:
    """The survey the customer answers about this visit, and its questions in order; the
    domain error when there is none to answer."""
    if appointment.status != COMPLETED:
        raise NotCompleted(
            "You can give feedback once the visit is completed. "
            f"This one is {appointment.get_status_display().lower()}."
        )
    if Response.objects.filter(appointment=appointment).exists():
        raise AlreadySent("You already sent your feedback on this visit. Thank you!")
    if appointment.customer is not None and not appointment.customer.is_active:
        # Its customer closed their account (or was switched off): an old mail's link
        # must not write new words under it.
        raise NoSurvey("We are not asking for feedback on this visit.")
    invitation = Invitation.objects.filter(appointment=appointment).select_related("survey")
    asked = invitation.first()
    survey = survey_for(appointment.service_type_id)
    if survey is None and asked is not None and settings.SURVEYS_ENABLED:
        survey = asked.survey  # the one its mail asked, though it has been changed since
    if survey is None:
        raise NoSurvey("We are not asking for feedback on this visit.")
    return survey, list(survey.questions.all())


def submit(
    *,
    appointment: Appointment,
    survey: Survey,
    questions: Iterable[Question],
    answers: dict[int, object],
    customer,
) -> Response:
    """Save the response with a copy of each question as asked. `answers` maps question
    ids to cleaned values (int, "yes"/"no", text; None or "" for unanswered)."""
    if appointment.status != COMPLETED:
        raise NotCompleted("You can give feedback once the visit is completed.")
    questions = list(questions)
    rows, rating, score = [], None, None
    for question in questions:
        value = answers.get(question.pk)
        if value in (None, ""):
            continue
        number = value if isinstance(value, int) else None
        if question.kind == Question.Kind.RATING and rating is None:
            rating = number
        if question.kind == Question.Kind.SCORE and score is None:
            score = number
        rows.append(
            Answer(
                question=question,
                position=question.position,
                kind=question.kind,
                text=question.text,
                number=number,
                value="" if number is not None else str(value),
            )
        )
    try:
        with transaction.atomic():
            response = Response.objects.create(
                appointment=appointment,
                survey=survey,
                survey_name=survey.name,
                customer=customer,
                submitted_at=timezone.now(),
                rating=rating,
                score=score,
            )
            for row in rows:
                row.response = response
            Answer.objects.bulk_create(rows)
    except IntegrityError as exc:
        raise AlreadySent("You already sent your feedback on this visit. Thank you!") from exc
    return response


def feedback_states(appointments: Iterable[Appointment]) -> None:
    """Mark each completed visit `feedback` "sent" or "open" (None: nothing to ask), for the
    Past tab, in at most two queries."""
    appointments = [a for a in appointments if a.status == COMPLETED]
    if not appointments:
        return
    types = surveyed_types()
    answered = set(
        Response.objects.filter(appointment__in=appointments).values_list(
            "appointment_id", flat=True
        )
    )
    for appointment in appointments:
        if appointment.pk in answered:
            appointment.feedback = "sent"
        elif appointment.service_type_id in types:
            appointment.feedback = "open"


# --- Unsubscribing ---------------------------------------------------------------------------


def unsubscribe(customer_id: int) -> None:
    OptOut.add(customer_id)
