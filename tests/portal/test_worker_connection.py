"""A Celery worker keeps its PostgreSQL connection from task to task, as gunicorn keeps it from
request to request: Celery's Django fixup would close it around every task, and opening a
connection per ingest task cost more than the insert (bench/README.md). One broken or too old
is still replaced before the next task."""

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_prerun
from django.db import connection

from portal.celery import app

pytestmark = pytest.mark.django_db(transaction=True)


class Task:
    """Stands for a task the worker runs (not eager)."""

    class request:  # as Celery names it
        is_eager = False


class EagerTask(Task):
    """A task run in-process, inside its caller's request and transaction."""

    class request:
        is_eager = True


TASK = Task()


def run_task_hooks() -> None:
    """What the worker does around a task: Celery's Django fixup and the portal's handler."""
    fixup = DjangoWorkerFixup(app)
    fixup.on_task_prerun(sender=TASK)
    task_prerun.send(sender=TASK)
    fixup.on_task_postrun(sender=TASK)


def test_it_keeps_the_connection_from_task_to_task(settings):
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 60
    connection.ensure_connection()
    before = connection.connection

    for _ in range(3):
        run_task_hooks()
        connection.ensure_connection()

    assert connection.connection is before


def test_it_replaces_a_connection_older_than_its_age(settings):
    connection.ensure_connection()
    before = connection.connection
    connection.close_at = 0  # older than DATABASE_CONN_MAX_AGE

    run_task_hooks()
    connection.ensure_connection()

    assert connection.connection is not before


def test_a_task_run_in_process_leaves_its_callers_connection_alone():
    connection.ensure_connection()
    before = connection.connection
    connection.close_at = 0  # would be renewed before a worker's task

    task_prerun.send(sender=EagerTask())

    assert connection.connection is before
