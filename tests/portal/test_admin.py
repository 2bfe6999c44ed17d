"""Dispatchers run invitations and read the outbox in Django admin."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import tasks
from portal.closing import close_account
from portal.models import Invitation, OutboxMessage, User
from tests.factories import CustomerFactory, InvitationFactory, ServiceAccountFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:portal_invitation_changelist")


def test_adding_an_invitation_mails_it(admin_client, account, dispatcher):
    response = admin_client.post(
        reverse("admin:portal_invitation_add"),
        {"contact_name": "Bob Builder", "email": "bob@example.com", "service_account": account.pk},
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.created_by == dispatcher
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.sent_at is not None
    row = OutboxMessage.objects.get()
    assert row.to == "bob@example.com"
    assert invitation.display_code in row.payload["body"]
    page = admin_client.get(reverse("admin:portal_invitation_change", args=[invitation.pk]))
    assert invitation.display_code in page.content.decode()


def _refused_invitation(admin_client, account, email: str) -> str:
    """The add form's page for an invitation it refused, having sent nothing."""
    response = admin_client.post(
        reverse("admin:portal_invitation_add"),
        {"contact_name": "Bob", "email": email, "service_account": account.pk},
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()
    assert not OutboxMessage.objects.exists()
    return response.content.decode()


def test_a_bad_email_is_a_form_error(admin_client, account):
    assert "Enter a valid email address." in _refused_invitation(
        admin_client, account, "not-an-address"
    )


def test_an_address_with_an_account_is_a_form_error_before_any_mail(admin_client, account, alice):
    page = _refused_invitation(admin_client, account, "ALICE@example.com")
    assert "An account for alice@example.com already exists" in page


def test_adding_an_invitation_again_resends_the_pending_one(admin_client, account):
    old = InvitationFactory(service_account=account, email="bob@example.com")
    response = admin_client.post(
        reverse("admin:portal_invitation_add"),
        {"contact_name": "Bob Builder", "email": "bob@example.com", "service_account": account.pk},
        follow=True,
    )

    assert "had a pending invitation: it was sent again with a new code" in (
        response.content.decode()
    )
    old.refresh_from_db()
    assert old.status == Invitation.Status.REVOKED
    new = Invitation.objects.get(status=Invitation.Status.PENDING)
    assert old.replaced_by == new
    assert new.code != old.code
    assert OutboxMessage.objects.get().to == "bob@example.com"


def test_the_resend_action_replaces_the_code(admin_client, account):
    old = InvitationFactory(service_account=account)
    response = admin_client.post(
        CHANGELIST, {"action": "resend", "_selected_action": [old.pk]}, follow=True
    )

    assert "Sent 1 new invitation(s)." in response.content.decode()
    old.refresh_from_db()
    assert old.status == Invitation.Status.REVOKED
    assert old.replaced_by.status == Invitation.Status.PENDING
    assert OutboxMessage.objects.get().to == old.email


def test_the_revoke_action_says_which_could_not_be_revoked(admin_client, account):
    pending = InvitationFactory(service_account=account)
    used = InvitationFactory(service_account=account, status=Invitation.Status.REDEEMED)
    response = admin_client.post(
        CHANGELIST, {"action": "revoke", "_selected_action": [pending.pk, used.pk]}, follow=True
    )

    html = response.content.decode()
    assert "Revoked 1 invitation(s)." in html
    assert f"Not revoked: {used.email}. Only pending invitations can be revoked" in html
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.REVOKED


def test_filters_by_status_now_and_searches_by_email(admin_client, account):
    from django.utils import timezone

    live = InvitationFactory(service_account=account, email="live@example.com")
    lapsed = InvitationFactory(
        service_account=account,
        email="lapsed@example.com",
        expires_at=timezone.now() - timezone.timedelta(days=1),
    )

    def listed(**params):
        response = admin_client.get(CHANGELIST, params)
        return {inv.pk for inv in response.context["cl"].result_list}

    assert listed(status="pending") == {live.pk}
    assert listed(status="expired") == {lapsed.pk}
    assert listed(q="lapsed@") == {lapsed.pk}
    assert listed(service_account__id__exact=account.pk) == {live.pk, lapsed.pk}


def test_the_outbox_shows_why_a_mail_failed_and_can_try_again(admin_client):
    row = OutboxMessage.objects.create(
        subject="Your invitation",
        to="bob@example.com",
        from_email="portal@localhost",
        payload={},
        status=OutboxMessage.Status.FAILED,
        attempts=6,
        last_error="SMTPRecipientsRefused: 550 No such mailbox",
    )
    changelist = reverse("admin:portal_outboxmessage_changelist")

    page = admin_client.get(changelist, {"status__exact": "failed"})
    assert "550 No such mailbox" in page.content.decode()

    admin_client.post(changelist, {"action": "deliver_again", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 0)


def test_stuck_queued_messages_can_be_tried_again_too(
    admin_client, monkeypatch, django_capture_on_commit_callbacks
):
    now = timezone.now()

    def message(status, *, attempts, created, tried=None):
        return OutboxMessage.objects.create(
            subject="Your visit", to="bob@example.com", from_email="portal@localhost",
            payload={}, status=status, attempts=attempts, created_at=now - created,
            last_attempt_at=tried and now - tried,
        )  # fmt: skip

    queued, failed, sent = "queued", "failed", "sent"
    stuck = message(queued, attempts=2, created=timedelta(hours=5), tried=timedelta(hours=2))
    never_enqueued = message(queued, attempts=0, created=timedelta(hours=2))
    retrying = message(queued, attempts=2, created=timedelta(hours=5), tried=timedelta(minutes=5))
    new = message(queued, attempts=0, created=timedelta(minutes=5))
    gave_up = message(failed, attempts=6, created=timedelta(hours=5), tried=timedelta(hours=4))
    done = message(sent, attempts=1, created=timedelta(hours=5), tried=timedelta(hours=5))
    enqueued = []
    monkeypatch.setattr(tasks, "enqueue", enqueued.append)
    selected = [stuck, never_enqueued, retrying, new, gave_up, done]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:portal_outboxmessage_changelist"),
            {"action": "deliver_again", "_selected_action": [m.pk for m in selected]},
            follow=True,
        )

    html = response.content.decode()
    assert "Queued 3 message(s) for delivery again." in html
    assert "Left 3 alone: sent, or queued and tried within the last hour." in html
    assert sorted(enqueued) == sorted([stuck.pk, never_enqueued.pk, gave_up.pk])
    states = dict(OutboxMessage.objects.values_list("pk", "attempts"))
    assert [states[m.pk] for m in selected] == [0, 0, 2, 0, 0, 1]
    assert OutboxMessage.objects.get(pk=gave_up.pk).status == "queued"
    assert OutboxMessage.objects.get(pk=done.pk).status == "sent"


def test_the_account_filter_lists_only_accounts_with_invitations(admin_client, account):
    other = ServiceAccountFactory(name="Bob Builder residence")
    for site in (account, other):
        InvitationFactory(service_account=site)
    ServiceAccountFactory(name="Never invited")

    response = admin_client.get(CHANGELIST)

    [account_filter] = [
        spec for spec in response.context["cl"].filter_specs if spec.title == "service account"
    ]
    assert {name for _, name in account_filter.lookup_choices} == {account.name, other.name}


def test_a_customer_added_in_admin_sees_times_in_their_site_zone(admin_client):
    response = admin_client.post(
        reverse("admin:portal_user_add"),
        {"email": "carol@example.com", "password1": "x-long-pass-1", "password2": "x-long-pass-1"},
    )

    assert response.status_code == 302
    assert User.objects.get(email="carol@example.com").time_zone == ""


def test_customers_cannot_open_admin(client, alice):
    client.force_login(alice)
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_closed_accounts_are_marked_and_filtered_in_the_users_list(admin_client, alice):
    bob = CustomerFactory(service_account=alice.service_account)
    close_account(user=alice)
    users = reverse("admin:portal_user_changelist")

    closed = admin_client.get(users, {"closed": "yes"})
    assert [user.pk for user in closed.context["cl"].result_list] == [alice.pk]
    assert "Account closed" in closed.content.decode()
    still_open = admin_client.get(users, {"closed": "no"}).context["cl"].result_list
    assert bob.pk in [user.pk for user in still_open]
    assert alice.pk not in [user.pk for user in still_open]
    page = admin_client.get(reverse("admin:portal_user_change", args=[alice.pk]))
    assert "Account closed" in page.content.decode()
