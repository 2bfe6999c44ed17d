"""The ingest settings from the environment: good values are taken, a bad one stops start-up
naming the variable (as tests/test_settings.py checks the others)."""

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_settings import loaded_settings, manage
from tests.test_settings import test_a_bad_value_stops_start_up_naming_the_variable as refused


@pytest.mark.parametrize(
    ("name", "value", "setting", "loaded"),
    [
        ("INGEST_RATE_LIMIT", "10/30s", "INGEST_RATE_LIMIT", "(10, 30.0)"),
        ("INGEST_RATE_LIMIT", "600/h", "INGEST_RATE_LIMIT", "(600, 3600.0)"),
        ("INGEST_ACCEPT_WHEN", "Traveling", "INGEST_ACCEPT_WHEN", "'traveling'"),
        ("INGEST_MAX_ACCURACY_M", "250", "INGEST_MAX_ACCURACY_M", "250.0"),
        ("INGEST_MAX_SPEED_MPS", "60", "INGEST_MAX_SPEED_MPS", "60.0"),
        ("LOCATION_RETENTION_DAYS", "7", "LOCATION_RETENTION_DAYS", "7"),
        ("CELERY_VISIBILITY_TIMEOUT", "900", "CELERY_BROKER_TRANSPORT_OPTIONS", "900"),
        (
            "INGEST_BROKER_URL",
            "amqp://u:p@mq:5672/v",
            "INGEST_BROKER_URL",
            "'amqp://u:p@mq:5672/v'",
        ),
        ("INGEST_BROKER_URL", "redis://q:6379/2", "INGEST_BROKER_URL", "'redis://q:6379/2'"),
    ],
)
def test_good_values_are_taken(name, value, setting, loaded):
    assert loaded in loaded_settings(**{name: value})[setting]


def test_the_defaults():
    loaded = loaded_settings()
    assert loaded["INGEST_RATE_LIMIT"] == "(120, 60.0)"
    assert loaded["INGEST_ACCEPT_WHEN"] == "'on_duty'"
    assert loaded["LOCATION_RETENTION_DAYS"] == "30"
    assert loaded["INGEST_MAX_ACCURACY_M"] == "1000.0"
    assert "'visibility_timeout': 600" in loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]
    assert loaded["CELERY_TASK_ROUTES"] == "{'tracking.tasks.store_pings': {'queue': 'ingest'}}"
    assert loaded["INGEST_BROKER_URL"] == "''"  # the app's own broker
    assert "'confirm_publish': True" in loaded["CELERY_BROKER_TRANSPORT_OPTIONS"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INGEST_RATE_LIMIT", "120 a minute"),
        ("INGEST_RATE_LIMIT", "0/m"),
        ("INGEST_RATE_LIMIT", "5/m/ip"),
        ("INGEST_ACCEPT_WHEN", "never"),
        ("INGEST_MAX_ACCURACY_M", "0"),
        ("INGEST_MAX_SPEED_MPS", "fast"),
        ("LOCATION_RETENTION_DAYS", "0"),
        ("CELERY_VISIBILITY_TIMEOUT", "300"),  # shorter than a mail retry's 480 s wait
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    refused(name, value)  # the same check as for the other settings


def test_an_ingest_broker_of_no_known_kind_stops_start_up_without_showing_the_url():
    result = manage("check", INGEST_BROKER_URL="http://user:s3cret@mq:5672/")
    assert result.returncode != 0
    assert "INGEST_BROKER_URL must be an amqp://" in result.stderr
    assert "'http'" in result.stderr
    assert "s3cret" not in result.stderr


def test_a_worker_taking_the_ingest_queue_from_the_wrong_broker_is_refused_at_start():
    """With INGEST_BROKER_URL set, `-A portal -Q ingest` would read the app's broker while the
    batches wait on the ingest broker: it stops at once, naming the app to use."""
    result = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "ingest",
         "--pool=solo", "--without-mingle", "--without-gossip"],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
            "INGEST_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        },
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "celery -A portal.ingest_worker worker -Q ingest" in result.stderr
