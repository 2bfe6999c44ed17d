"""Every mail goes through the outbox: a row in the caller's transaction, delivery after."""

import threading
from datetime import timedelta

import pytest
from celery.signals import after_task_publish
from django.core import mail
from django.core.cache import cache
from django.core.mail import EmailMessage, send_mail
from django.db import connection, transaction
from django.utils import timezone

from portal import outbox, tasks
from portal.models import OutboxMessage
from portal.tasks import deliver, send_waiting
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db


class StandInBackend:
    """A mail provider's connection, as outbox.deliver opens and closes it."""

    def __init__(self, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class RefusingBackend(StandInBackend):
    """A provider that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def published():
    """The tasks this process sends to the broker: (task name, arguments)."""
    sent = []

    def record(sender, body, **kwargs):
        args, _kwargs, _embed = body
        sent.append((sender, list(args)))

    after_task_publish.connect(record)
    yield sent
    after_task_publish.disconnect(record)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_is_nudged_when_the_mail_commits_and_delivers_it(
    celery_worker, smtp_server, published
):
    with transaction.atomic():
        send_mail("Hello", "Body text", None, ["pat@example.com"])
        row = OutboxMessage.objects.get()
        assert (row.subject, row.to, row.status) == ("Hello", "pat@example.com", "queued")
        # Nudged now, the worker could look for a row it cannot see yet.
        assert published == []

    assert published == [(send_waiting.name, [])]
    assert wait_for(lambda: smtp_server.messages_to("pat@example.com"))
    [message] = smtp_server.messages_to("pat@example.com")
    assert (message["Subject"], message.get_content().strip()) == ("Hello", "Body text")
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)


@pytest.fixture
def held(monkeypatch):
    """The tasks published, held here instead of reaching a worker: (task name, arguments,
    options). The test plays the worker."""
    sent = []
    for task in (send_waiting, deliver):
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda args=(), kwargs=None, _name=task.name, **options: sent.append(
                (_name, list(args), options)
            ),
        )
    return sent


@pytest.mark.django_db(transaction=True)
def test_mails_committed_before_the_worker_starts_share_one_task(held):
    for n in range(5):
        with transaction.atomic():
            send_mail(f"Hello {n}", "Body", None, [f"pat{n}@example.com"])
    assert [(name, args) for name, args, _ in held] == [(send_waiting.name, [])]

    # The worker takes the task: every waiting mail is sent, once.
    assert send_waiting() == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"pat{n}@example.com" for n in range(5)]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert send_waiting() == 0
    assert len(mail.outbox) == 5


@pytest.mark.django_db(transaction=True)
def test_a_mail_committed_once_the_task_started_nudges_again(held):
    send_mail("First", "Body", None, ["pat@example.com"])
    send_mail("Second", "Body", None, ["pat@example.com"])
    assert len(held) == 1
    send_waiting()
    send_mail("Third", "Body", None, ["pat@example.com"])
    assert [name for name, _, _ in held] == [send_waiting.name] * 2
    send_waiting()
    assert [m.subject for m in mail.outbox] == ["First", "Second", "Third"]


@pytest.mark.django_db(transaction=True)
def test_a_long_queue_is_shared_with_another_worker(held, monkeypatch):
    monkeypatch.setattr(tasks, "WAITING_BATCH", 3)
    for n in range(4):
        send_mail(f"Hello {n}", "Body", None, ["pat@example.com"])
    held.clear()
    cache.delete(tasks.NUDGE_KEY)  # as when the worker starts the first task

    assert send_waiting() == 3
    # Three taken, so more may wait: another task is on its way for them.
    assert [name for name, _, _ in held] == [send_waiting.name]
    assert send_waiting() == 1
    assert len(mail.outbox) == 4


@pytest.mark.django_db(transaction=True)
def test_a_first_attempt_that_fails_goes_on_with_the_retries(settings, held):
    settings.MAIL_DELIVERY_BACKEND = f"{__name__}.RefusingBackend"
    send_mail("Hello", "Body", None, ["pat@example.com"])
    row = OutboxMessage.objects.get()
    held.clear()

    send_waiting()

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 1)
    # deliver's second attempt, after the first retry's wait, as if its first had failed.
    [(name, args, options)] = held
    assert (name, args) == (deliver.name, [row.pk])
    assert options["retries"] == 1
    assert options["countdown"] == outbox.retry_delay(0)


@pytest.mark.django_db(transaction=True)
def test_a_long_queue_in_one_request_is_all_sent_when_tasks_run_in_process(settings, monkeypatch):
    # make run: tasks run in the process, each batch's follow-up task inside the one before.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(tasks, "WAITING_BATCH", 3)
    looks = []
    waiting = outbox.waiting
    monkeypatch.setattr(outbox, "waiting", lambda **kw: looks.append(waiting(**kw)) or looks[-1])
    with transaction.atomic():
        for n in range(10):
            send_mail(f"Hello {n}", "Body", None, ["pat@example.com"])
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Hello {n}" for n in range(10))
    # Each task took the next three: none looked again at mail another had taken.
    assert [len(ids) for ids in looks] == [3, 3, 3, 1]
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


@pytest.mark.django_db(transaction=True)
def test_a_cache_that_cannot_be_reached_still_publishes_the_nudge(held, monkeypatch):
    def cache_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(cache, "add", cache_down)
    send_mail("First", "Body", None, ["pat@example.com"])
    send_mail("Second", "Body", None, ["pat@example.com"])
    # Without the key, each commit publishes (as before nudges): none waits for the sweep.
    assert [name for name, _, _ in held] == [send_waiting.name] * 2


@pytest.mark.django_db(transaction=True)
def test_a_nudge_whose_publish_failed_lets_the_next_mail_try_again(monkeypatch, held):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    with monkeypatch.context() as down:
        down.setattr(send_waiting, "apply_async", broker_down)
        send_mail("First", "Body", None, ["pat@example.com"])
    assert cache.get(tasks.NUDGE_KEY) is None
    send_mail("Second", "Body", None, ["pat@example.com"])
    assert [name for name, _, _ in held] == [send_waiting.name]


@pytest.mark.django_db(transaction=True)
def test_a_mail_whose_nudge_failed_is_found_by_the_sweep(monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(send_waiting, "apply_async", broker_down)
    send_mail("Hello", "Body", None, ["pat@example.com"])  # committed; the nudge is logged
    row = OutboxMessage.objects.get()
    assert row.status == "queued"
    later = row.created_at + timedelta(minutes=11)
    assert outbox.stale(now=later) == [row.pk]


def test_a_rolled_back_transaction_leaves_no_mail():
    with pytest.raises(RuntimeError), transaction.atomic():
        send_mail("Hello", "Body", None, ["pat@example.com"])
        raise RuntimeError("the booking failed")
    assert not OutboxMessage.objects.exists()


def test_delivery_sends_the_message_as_built_with_its_attachments():
    message = EmailMessage(
        "Your visit", "See the attachment.", "desk@example.com", ["pat@example.com"],
        cc=["boss@example.com"], reply_to=["help@example.com"], headers={"X-Visit": "42"},
    )  # fmt: skip
    message.attach("visit.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    message.attach("photo.bin", b"\x00\xffbinary", "application/octet-stream")
    message.send()
    row = OutboxMessage.objects.get()

    assert outbox.deliver(row.pk, last_try=False) is None

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
    assert row.sent_at is not None
    assert row.last_attempt_at <= row.sent_at
    [sent] = mail.outbox
    assert (sent.subject, sent.body, sent.from_email) == (
        "Your visit",
        "See the attachment.",
        "desk@example.com",
    )
    assert sent.to == ["pat@example.com"] and sent.cc == ["boss@example.com"]
    assert sent.reply_to == ["help@example.com"]
    assert sent.extra_headers["X-Visit"] == "42"
    assert [(a.filename, a.content, a.mimetype) for a in sent.attachments] == [
        ("visit.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"),
        ("photo.bin", b"\x00\xffbinary", "application/octet-stream"),
    ]


def test_a_sent_message_is_not_sent_twice():
    send_mail("Hello", "Body", None, ["pat@example.com"])
    row = OutboxMessage.objects.get()
    outbox.deliver(row.pk, last_try=False)
    outbox.deliver(row.pk, last_try=False)
    assert len(mail.outbox) == 1


def test_a_failed_attempt_records_the_error_and_stays_queued(settings):
    settings.MAIL_DELIVERY_BACKEND = f"{__name__}.RefusingBackend"
    send_mail("Hello", "Body", None, ["pat@example.com"])
    row = OutboxMessage.objects.get()

    error = outbox.deliver(row.pk, last_try=False)

    row.refresh_from_db()
    assert "Connection refused" in error
    assert (row.status, row.attempts) == ("queued", 1)
    assert timezone.now() - row.last_attempt_at < timedelta(seconds=10)
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"


def test_the_last_failed_attempt_marks_the_message_failed(settings):
    settings.MAIL_DELIVERY_BACKEND = f"{__name__}.RefusingBackend"
    send_mail("Hello", "Body", None, ["pat@example.com"])
    row = OutboxMessage.objects.get()
    outbox.deliver(row.pk, last_try=False)

    assert outbox.deliver(row.pk, last_try=True) is None

    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2)
    assert "Connection refused" in row.last_error


def test_messages_whose_enqueue_failed_are_enqueued_again():
    send_mail("Hello", "Body", None, ["pat@example.com"])
    row = OutboxMessage.objects.get()
    OutboxMessage.objects.update(created_at=row.created_at - outbox.timezone.timedelta(hours=1))

    assert outbox.stale() == [row.pk]


def _queued(**fields) -> OutboxMessage:
    fields = {"subject": "Hello", "to": "pat@example.com", "from_email": "portal@localhost",
              "payload": {}} | fields  # fmt: skip
    return OutboxMessage.objects.create(**fields)


def test_the_retry_window_is_every_backoff_delay_added_up(settings):
    settings.MAIL_MAX_RETRIES, settings.MAIL_RETRY_DELAY = 3, 30.0
    assert outbox.retry_window() == timedelta(seconds=30 + 60 + 120)


def test_messages_whose_retry_or_claim_was_lost_are_enqueued_again(settings):
    settings.MAIL_MAX_RETRIES, settings.MAIL_RETRY_DELAY = 3, 30.0  # retries over in 210 s
    now = timezone.now()
    ago = lambda seconds: now - timedelta(seconds=seconds)  # noqa: E731
    lost = _queued(attempts=2, created_at=ago(7200), last_attempt_at=ago(210 + 600 + 1))
    in_schedule = _queued(attempts=2, created_at=ago(7200), last_attempt_at=ago(210 + 600 - 60))
    tried_before_the_field = _queued(attempts=1, created_at=ago(7200))
    _queued(attempts=3, created_at=ago(7200), status=OutboxMessage.Status.FAILED)
    _queued(attempts=1, created_at=ago(7200), status=OutboxMessage.Status.SENT)
    claim_lost = _queued(attempts=1, last_attempt_at=ago(11 * 60), status="sending")
    _queued(attempts=1, last_attempt_at=ago(60), status="sending")  # being sent right now

    stale = outbox.stale(now=now)

    assert sorted(stale) == sorted([lost.pk, tried_before_the_field.pk, claim_lost.pk])
    assert in_schedule.pk not in stale


class HeldBackend(StandInBackend):
    """A mail provider that takes its time: each send waits until the test releases it."""

    started = threading.Event()
    release = threading.Event()

    def send_messages(self, messages):
        HeldBackend.started.set()
        assert HeldBackend.release.wait(timeout=10)
        return len(messages)


@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_the_mail_server_takes_its_time(settings):
    settings.MAIL_DELIVERY_BACKEND = f"{__name__}.HeldBackend"
    message = EmailMessage("Hello", "Body", "desk@example.com", ["pat@example.com"])
    row = _queued(payload=outbox.serialize(message))
    HeldBackend.started.clear()
    HeldBackend.release.clear()

    def deliver():
        try:
            outbox.deliver(row.pk, last_try=False)
        finally:
            connection.close()

    worker = threading.Thread(target=deliver)
    worker.start()
    try:
        assert HeldBackend.started.wait(timeout=10)
        # Another transaction (admin, the sweep) can lock the row meanwhile: nothing waits
        # on the mail server, and the claim is already committed for all to see.
        with transaction.atomic():
            claimed = OutboxMessage.objects.select_for_update(nowait=True).get(pk=row.pk)
        assert (claimed.status, claimed.attempts) == ("sending", 1)
    finally:
        HeldBackend.release.set()
        worker.join(timeout=10)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
