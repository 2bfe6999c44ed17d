"""The feedback form from a mail link (no sign-in) and from the Past tab: a GET shows the
form with the clicked score chosen and saves nothing; the POST saves one response with a
copy of the questions; a second submit shows the response already sent."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from surveys import links
from surveys.models import Answer, Question, Response
from tests.factories import CustomerFactory, ServiceAccountFactory
from tests.surveys.conftest import answers, finished, form_url

pytestmark = pytest.mark.django_db
Kind = Question.Kind


def rating_field(survey) -> str:
    return f"q{survey.questions.get(kind=Kind.RATING).pk}"


def test_the_mail_link_opens_the_form_with_the_score_chosen_and_saves_nothing(
    client, completed, survey
):
    response = client.get(form_url(completed) + "?rating=4")
    assert response.status_code == 200
    html = response.content.decode()
    field = rating_field(survey)
    assert re.search(f'<input type="radio" name="{field}" value="4" [^>]*checked>', html)
    assert html.count("checked") == 1
    assert not Response.objects.exists()


def test_a_bad_rating_in_the_link_chooses_nothing(client, completed):
    response = client.get(form_url(completed) + "?rating=9")
    assert response.status_code == 200
    assert "checked" not in response.content.decode()


def test_submitting_saves_one_response_with_a_copy_of_the_questions(client, completed, survey):
    url = form_url(completed)
    response = client.post(url, answers(survey))
    assert response.status_code == 302
    assert response.url == url + "?thanks=1"
    thanks = client.get(response.url)
    assert "Thank you for your feedback" in thanks.content.decode()

    saved = Response.objects.get(appointment=completed)
    assert (saved.rating, saved.score, saved.customer) == (4, 9, completed.customer)
    got = [(a.kind, a.text, a.display) for a in saved.answers.all()]
    assert got == [
        (Kind.RATING, "How was the visit?", "4"),
        (Kind.SCORE, "How likely are you to recommend us?", "9"),
        (Kind.YES_NO, "Was the technician on time?", "yes"),
        (Kind.CHOICE, "What mattered most?", "Care"),
        (Kind.TEXT, "Anything else?", "Friendly and quick."),
    ]

    # Editing the survey later changes no past response.
    survey.questions.filter(kind=Kind.RATING).update(text="Rate us")
    survey.questions.filter(kind=Kind.TEXT).delete()
    assert Answer.objects.filter(response=saved, text="How was the visit?").exists()
    assert Answer.objects.filter(response=saved, text="Anything else?").exists()


def test_a_second_submit_shows_the_response_already_sent(client, completed, survey):
    url = form_url(completed)
    client.post(url, answers(survey))
    again = client.post(url, answers(survey, rating="1"))
    assert again.status_code == 200
    assert "Feedback already sent" in again.content.decode()
    assert Response.objects.count() == 1
    assert Response.objects.get().rating == 4
    # And the link clicked again.
    assert "Feedback already sent" in client.get(url + "?rating=2").content.decode()


def test_validation_errors_are_shown_and_nothing_saved(client, completed, survey):
    data = answers(survey, rating="", yes_no="maybe", score="11")
    response = client.post(form_url(completed), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert "How was the visit?: This field is required." in html
    assert "Was the technician on time?: Select a valid choice." in html
    assert "How likely are you to recommend us?: Select a valid choice." in html
    assert not Response.objects.exists()


def test_optional_questions_may_be_left_out(client, completed, survey):
    data = answers(survey, score="", choice="", text="")
    assert client.post(form_url(completed), data).status_code == 302
    assert Response.objects.get().answers.count() == 2


def test_a_visit_not_completed_says_so(client, in_progress, survey):
    response = client.get(form_url(in_progress))
    assert response.status_code == 409
    assert "once the visit is completed" in response.content.decode()
    assert client.post(form_url(in_progress), answers(survey)).status_code == 409
    assert not Response.objects.exists()


def test_an_expired_link_is_refused(client, completed, survey, settings):
    url = form_url(completed)
    with time_machine.travel(timedelta(days=14, seconds=1), tick=False):
        response = client.post(url, answers(survey))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    settings.SURVEY_LINK_DAYS = 30
    with time_machine.travel(timedelta(days=20), tick=False):
        assert client.get(url).status_code == 200
    assert not Response.objects.exists()


def test_a_tampered_link_is_404(client, completed, survey):
    token = links.response_token(completed.pk)
    rest = token.split(":", 1)[1]
    forged = f"{completed.pk + 1}:{rest}"
    for bad in (token[:-2], forged, links.unsubscribe_token(completed.pk), "nonsense"):
        url = reverse("surveys:respond", args=[bad])
        assert client.post(url, answers(survey)).status_code == 404
    assert not Response.objects.exists()


def test_another_customers_token_is_404_when_signed_in(client, completed, survey):
    bob = CustomerFactory(email="bob@example.com", service_account=ServiceAccountFactory())
    client.force_login(bob)
    assert client.get(form_url(completed)).status_code == 404
    assert client.post(form_url(completed), answers(survey)).status_code == 404
    assert not Response.objects.exists()


# --- Signed in, from the Past tab ------------------------------------------------------------


def test_the_past_tab_offers_feedback_until_it_is_sent(alice_client, completed, survey):
    home = reverse("portal:home") + "?tab=past"
    feedback = reverse("surveys:feedback", args=[completed.pk])
    html = alice_client.get(home).content.decode()
    assert f'href="{feedback}">Send feedback' in html
    assert "Feedback sent" not in html

    assert alice_client.post(feedback, answers(survey)).status_code == 302
    html = alice_client.get(home).content.decode()
    assert "Feedback sent" in html
    assert "Send feedback" not in html


def test_no_feedback_button_when_the_service_type_has_no_survey(alice_client, completed, survey):
    survey.service_types.clear()
    html = alice_client.get(reverse("portal:home") + "?tab=past").content.decode()
    assert "Send feedback" not in html


def test_another_customers_visit_is_404(client, account, technician, repair, survey, complete):
    bob = CustomerFactory(email="bob@example.com", service_account=ServiceAccountFactory())
    theirs = complete(finished(account, technician, repair, customer=None))
    client.force_login(bob)
    url = reverse("surveys:feedback", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, answers(survey)).status_code == 404


def test_signed_out_the_feedback_page_asks_to_sign_in(client, completed):
    response = client.get(reverse("surveys:feedback", args=[completed.pk]))
    assert response.status_code == 302
    assert "login" in response.url
