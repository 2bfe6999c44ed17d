"""The survey mail and its one reminder: the first rating question as five links, each
opening the form with that score chosen, and the unsubscribe link with the headers mail
programs show their own button for (RFC 2369, RFC 8058).

As tracking's notices do, the mail is written by the mail worker when it delivers it: the
outbox stores `render_later`, so the transaction that completes a visit only writes a row."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from scheduling.models import Appointment
from surveys import links
from surveys.models import Question, Survey

SUBJECTS = {
    "ask": "How did your service visit go?",
    "remind": "A minute for your feedback?",
}


class SurveyMail(EmailMultiAlternatives):
    def __init__(self, *, kind: str, appointment: Appointment, survey: Survey, base_url: str):
        super().__init__(subject=SUBJECTS[kind], to=[appointment.customer.email])
        self.render_later = (
            f"{__name__}.build",
            {
                "kind": kind,
                "appointment_id": appointment.pk,
                "survey_id": survey.pk,
                "base_url": base_url,
            },
        )

    def message(self):
        return build(**self.render_later[1]).message()


def build(*, kind: str, appointment_id: int, survey_id: int, base_url: str):
    appointment = Appointment.objects.select_related("customer", "service_type").get(
        pk=appointment_id
    )
    customer = appointment.customer
    form = base_url + reverse("surveys:respond", args=[links.response_token(appointment_id)])
    rating = (
        Question.objects.filter(survey_id=survey_id, kind=Question.Kind.RATING)
        .order_by("position", "id")
        .first()
    )
    unsubscribe = base_url + reverse(
        "surveys:unsubscribe", args=[links.unsubscribe_token(customer.pk)]
    )
    context = {
        "kind": kind,
        "appointment": appointment,
        "customer": customer,
        "question": rating,
        "scores": [(n, f"{form}?rating={n}") for n in range(1, 6)] if rating else [],
        "form_link": form,
        "days": settings.SURVEY_LINK_DAYS,
        "unsubscribe_link": unsubscribe,
        "portal_name": settings.PORTAL_NAME,
    }
    return EmailMultiAlternatives(
        subject=SUBJECTS[kind],
        body=render_to_string("surveys/email/survey.txt", context),
        to=[customer.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
