"""Closing an account: upcoming visits canceled, the person erased, the visits kept for the
company without them, and no mail to the old address afterwards."""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal import closing, outbox
from portal.models import Invitation, OutboxMessage
from scheduling import notifications, services
from scheduling.models import Appointment, AppointmentEvent
from surveys import links
from surveys import services as surveys
from surveys.models import Answer
from tests.factories import PASSWORD, AppointmentFactory, CustomerFactory, InvitationFactory
from tests.support.mfa import enrol_totp
from tests.surveys.conftest import make_survey

pytestmark = pytest.mark.django_db
CLOSE = reverse("portal:close_account")
Status = Appointment.Status


def _close(client, confirm="alice@example.com"):
    return client.post(CLOSE, {"confirm": confirm})


@pytest.fixture
def past_visit(account, alice, technician, repair, clock):
    return AppointmentFactory(
        service_account=account,
        customer=alice,
        service_type=repair,
        resource=technician,
        start=clock.now - timedelta(days=7),
        status=Status.COMPLETED,
        comments="Call me on 555 0100, gate code 4321",
    )


def test_the_confirmation_page_says_what_is_erased_and_what_is_kept(alice_client, appointment):
    html = alice_client.get(CLOSE).content.decode()
    assert "<h1>Close your account?</h1>" in html
    assert "Your 1 upcoming visit is canceled." in html
    assert "Your name, email address, phone number" in html
    assert "Your site's name and street address." in html
    assert "What we keep, without your name" in html
    assert 'name="confirm"' in html and 'autocomplete="current-password"' in html


def test_a_wrong_confirmation_closes_nothing(alice_client, alice, appointment):
    response = _close(alice_client, confirm="someone@example.com")
    assert response.status_code == 200
    assert "neither your email address nor your password" in response.content.decode()
    alice.refresh_from_db()
    assert (alice.email, alice.is_active, alice.closed_at) == ("alice@example.com", True, None)
    appointment.refresh_from_db()
    assert appointment.status == Status.SCHEDULED


def test_the_password_confirms_too(alice_client, alice):
    response = _close(alice_client, confirm=PASSWORD)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.closed_at is not None


def test_closing_cancels_upcoming_visits_and_frees_the_technician(
    alice_client, alice, appointment, heat_pump, repair, clock
):
    response = _close(alice_client)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    page = alice_client.get(response["Location"]).content.decode()
    assert "Your account is closed and your personal data erased." in page
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (Status.CANCELED, "Account closed")
    event = appointment.events.last()
    assert (event.kind, event.to_status, event.note) == ("canceled", "canceled", "Account closed")
    # Terry's Monday 10:00 is free again: another customer books it.
    bob = CustomerFactory(
        email="bob@example.com", service_account__territory=appointment.service_account.territory
    )
    booked = services.book(
        account=bob.service_account,
        customer=bob,
        product=heat_pump,
        service_type=repair,
        start=appointment.start,
        now=clock.now,
    )
    assert booked.resource_id == appointment.resource_id


def test_the_person_is_erased_and_the_visits_stay_without_them(
    alice_client, alice, account, appointment, past_visit
):
    SocialAccount.objects.create(user=alice, provider="google", uid="1234567890")
    enrol_totp(alice)
    alice.phone = "+1 206 555 0100"
    alice.save()

    _close(alice_client)

    alice.refresh_from_db()
    assert alice.email == f"closed-{alice.pk}@closed.invalid"
    assert (alice.first_name, alice.last_name, alice.phone, alice.time_zone) == ("", "", "", "")
    assert not alice.is_active and not alice.has_usable_password()
    assert alice.closed_at is not None
    assert not alice.emailaddress_set.exists()
    assert not SocialAccount.objects.filter(user=alice).exists()
    assert not Authenticator.objects.filter(user=alice).exists()
    account.refresh_from_db()
    assert account.name == f"Closed site {account.pk}"
    assert account.address == ""
    assert (account.latitude, account.longitude) == (47.62, -122.35)  # about a kilometre
    assert account.time_zone == "America/Los_Angeles"  # the history's times still read right
    past_visit.refresh_from_db()
    assert past_visit.status == Status.COMPLETED
    assert past_visit.comments == ""
    assert past_visit.customer_id == alice.pk  # the closed account, not the person
    assert Appointment.objects.filter(service_account=account).count() == 2


def test_the_reasons_and_feedback_words_they_wrote_are_erased_the_ratings_kept(
    alice_client, alice, appointment, past_visit, repair, clock
):
    services.cancel(appointment=appointment, reason="Moving to Tacoma", by=alice, now=clock.now)
    survey = make_survey(repair)
    questions = list(survey.questions.all())
    surveys.submit(
        appointment=past_visit,
        survey=survey,
        questions=questions,
        answers={
            q.pk: v for q, v in zip(questions, [4, 8, "yes", "Care", "Ask for Alice"], strict=True)
        },
        customer=alice,
    )

    _close(alice_client)

    appointment.refresh_from_db()
    assert appointment.cancel_reason == ""
    assert not AppointmentEvent.objects.filter(note__contains="Tacoma").exists()
    answers = Answer.objects.filter(response__appointment=past_visit)
    assert [a.display for a in answers] == ["4", "8", "yes", "Care", ""]


def test_the_customer_cannot_sign_in_again_and_other_sessions_end(alice_client, alice):
    phone = Client()
    phone.force_login(alice)
    assert phone.get(reverse("portal:home")).status_code == 200

    _close(alice_client)

    assert phone.get(reverse("portal:home")).status_code == 302
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(alice.pk) for s in Session.objects.all()
    )
    again = Client()
    response = again.post(
        reverse("account_login"), {"login": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in again.session
    assert again.get(reverse("portal:home")).status_code == 302


def test_pending_mail_to_the_old_address_is_never_delivered(alice_client, alice, appointment):
    [queued] = OutboxMessage.objects.filter(to="alice@example.com")  # the booking's mail
    assert queued.status == OutboxMessage.Status.QUEUED

    _close(alice_client)

    assert not OutboxMessage.objects.filter(to__icontains="alice@example.com").exists()
    assert not OutboxMessage.objects.filter(to__icontains="closed.invalid").exists()
    mail.outbox.clear()
    assert outbox.deliver(queued.pk, last_try=True) is None  # its task, arriving late
    assert mail.outbox == []


def test_mail_written_for_the_closed_account_goes_nowhere(
    alice_client, alice, appointment, past_visit, repair
):
    _close(alice_client)
    alice.refresh_from_db()

    # Later mails about its visits (a dispatcher's change, a survey) write no row...
    notifications.canceled(Appointment.objects.get(pk=appointment.pk))
    make_survey(repair)
    surveys.ask(past_visit.pk)
    assert not OutboxMessage.objects.exists()
    # ...and one written just before the closure committed is not delivered when built.
    row = OutboxMessage.objects.create(
        subject="Your service visit is booked",
        to="alice@example.com",
        from_email="portal@example.com",
        payload=outbox.serialize(
            notifications.AppointmentMail(kind="booked", appointment=past_visit, base_url="")
        ),
    )
    mail.outbox.clear()
    outbox.deliver(row.pk, last_try=False)
    row.refresh_from_db()
    assert (row.status, row.last_error) == (OutboxMessage.Status.FAILED, outbox.CLOSED_ACCOUNT)
    assert mail.outbox == []


def test_an_old_survey_link_takes_no_feedback_after_closure(
    alice_client, alice, past_visit, repair
):
    make_survey(repair)
    _close(alice_client)

    link = reverse("surveys:respond", args=[links.response_token(past_visit.pk)])
    html = Client().get(link).content.decode()
    assert "We are not asking for feedback on this visit." in html


def test_invitations_to_the_address_are_anonymised_and_a_pending_one_revoked(
    alice_client, alice, account
):
    used = InvitationFactory(
        email="alice@example.com",
        contact_name="Alice Anderson",
        service_account=account,
        status=Invitation.Status.REDEEMED,
        redeemed_by=alice,
    )
    pending = InvitationFactory(email="Alice@Example.com", service_account=account)

    _close(alice_client)

    for invitation in (used, pending):
        invitation.refresh_from_db()
        assert invitation.email == f"closed-{alice.pk}@closed.invalid"
        assert invitation.contact_name == ""
    assert pending.status == Invitation.Status.REVOKED


def test_a_replayed_close_form_is_harmless(alice_client, alice, appointment):
    _close(alice_client)
    alice.refresh_from_db()
    closed_at, events = alice.closed_at, AppointmentEvent.objects.count()

    replay = _close(alice_client)  # the same browser, its session gone

    assert replay.status_code == 302
    assert replay["Location"].startswith(reverse("account_login") + "?next=")
    assert closing.close_account(user=alice) == closing.Closed(canceled=0, already=True)
    alice.refresh_from_db()
    assert alice.closed_at == closed_at
    assert AppointmentEvent.objects.count() == events


def test_the_close_form_needs_its_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(CLOSE, {"confirm": "alice@example.com"})

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.closed_at is None and alice.is_active


def test_another_customer_keeps_everything(alice_client, alice, account, appointment, clock):
    bob = CustomerFactory(email="bob@example.com", first_name="Bob")
    bobs = AppointmentFactory(
        service_account=bob.service_account, customer=bob, start=clock.now + timedelta(days=3)
    )
    # Carol shares Alice's site: the site's address stays, and so does her visit there.
    carol = CustomerFactory(email="carol@example.com", service_account=account)
    carols = AppointmentFactory(
        service_account=account,
        customer=carol,
        resource=appointment.resource,
        start=clock.now + timedelta(days=4),
        comments="Carol's note",
    )
    html = alice_client.get(CLOSE).content.decode()
    assert "someone else still uses that site" in html

    _close(alice_client)

    account.refresh_from_db()
    assert account.address == "400 Broad St, Seattle, WA 98109, USA"
    for visit in (bobs, carols):
        visit.refresh_from_db()
        assert visit.status == Status.SCHEDULED
    assert carols.comments == "Carol's note"
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELED  # Alice's own
    bob.refresh_from_db()
    carol.refresh_from_db()
    assert (bob.email, bob.is_active, carol.email) == ("bob@example.com", True, "carol@example.com")


def test_it_waits_while_a_visit_is_under_way(alice_client, alice, appointment):
    appointment.status = Status.TRAVELING
    appointment.save()

    html = alice_client.get(CLOSE).content.decode()
    assert "on the way to you or at work on a visit" in html
    assert 'name="confirm"' not in html
    _close(alice_client)

    alice.refresh_from_db()
    assert alice.closed_at is None and alice.email == "alice@example.com"


def test_staff_accounts_are_not_closed_here(client, dispatcher):
    client.force_login(dispatcher)
    with pytest.raises(closing.ClosingError, match="closed by an administrator"):
        closing.close_account(user=dispatcher)
    assert "closed by an administrator" in client.get(CLOSE).content.decode()
    dispatcher.refresh_from_db()
    assert dispatcher.is_active and dispatcher.email == "dana@example.com"


def test_wrong_confirmations_are_limited_so_the_password_cannot_be_guessed(alice_client, alice):
    for guess in ("password1", "letmein", "qwerty", "dragon", "monkey"):
        assert _close(alice_client, confirm=guess).status_code == 200

    refused = _close(alice_client, confirm=PASSWORD)  # right, but past the limit

    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Too many wrong confirmations. Wait 15 minutes" in html
    assert "neither your email address nor your password" not in html
    alice.refresh_from_db()
    assert alice.closed_at is None
