"""The survey mail goes once when a visit turns Completed, with five score links and an
unsubscribe link; none when surveys are off for the visit's service type or the customer
unsubscribed. The mails are built as the worker builds them."""

import pytest
from django.urls import reverse

from scheduling.models import Appointment
from surveys import links, services
from surveys.models import Invitation, OptOut
from tests.support.mail import built
from tests.surveys.conftest import finished, links_in, path_of, survey_mails

pytestmark = pytest.mark.django_db


def test_completing_a_visit_mails_the_survey_once_with_five_score_links(completed, client):
    [row] = survey_mails("ask")
    mail = built(row)
    assert mail.to == ["alice@example.com"]
    score_links = [link for link in links_in(mail.body) if "rating=" in link]
    assert [link.rsplit("=", 1)[1] for link in score_links] == ["1", "2", "3", "4", "5"]
    assert "How was the visit?" in mail.body
    token = path_of(score_links[0]).split("/")[2]
    assert links.appointment_of(token) == completed.pk

    # Asked again (a signal delivered twice): the unique row refuses it.
    assert services.ask(completed.pk) is False
    assert survey_mails().count() == 1
    assert Invitation.objects.filter(appointment=completed).count() == 1


def test_the_survey_mail_has_a_working_unsubscribe_link(completed, client):
    mail = built(survey_mails("ask").get())
    header = mail.extra_headers["List-Unsubscribe"].strip("<>")
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header in mail.body
    # A GET (a scanner) unsubscribes nobody; the mail program's one-click POST does.
    assert client.get(path_of(header)).status_code == 200
    assert not OptOut.objects.exists()
    response = client.post(path_of(header), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert OptOut.objects.filter(customer=completed.customer).exists()


def test_a_tampered_unsubscribe_link_is_404(client, alice):
    token = links.unsubscribe_token(alice.pk)
    assert client.post(reverse("surveys:unsubscribe", args=[token + "x"])).status_code == 404
    # A response token is no unsubscribe token: the salts differ.
    other = links.response_token(alice.pk)
    assert client.post(reverse("surveys:unsubscribe", args=[other])).status_code == 404
    assert not OptOut.objects.exists()


def test_no_mail_when_the_service_type_has_no_survey(
    account, alice, technician, survey, complete, heat_pump
):
    from tests.factories import ServiceTypeFactory

    install = ServiceTypeFactory(name="Install", products=[heat_pump])
    complete(finished(account, technician, install, customer=alice))
    assert not survey_mails().exists()


def test_no_mail_when_the_survey_is_disabled(in_progress, survey, complete):
    survey.enabled = False
    survey.save()
    complete(in_progress)
    assert not survey_mails().exists()


def test_no_mail_when_surveys_are_off(in_progress, survey, complete, settings):
    settings.SURVEYS_ENABLED = False
    complete(in_progress)
    assert not survey_mails().exists()


def test_no_mail_to_a_customer_who_unsubscribed(in_progress, survey, complete, alice):
    services.unsubscribe(alice.pk)
    complete(in_progress)
    assert not survey_mails().exists()


def test_other_transitions_send_no_survey(account, alice, technician, repair, survey, dispatcher):
    from scheduling import services as scheduling

    appointment = finished(account, technician, repair, customer=alice)
    appointment.status = Appointment.Status.SCHEDULED
    appointment.save()
    scheduling.transition(
        appointment=appointment, to=Appointment.Status.CANCELED, by=dispatcher, note="No need"
    )
    assert services.ask(appointment.pk) is False
    assert not survey_mails().exists()
