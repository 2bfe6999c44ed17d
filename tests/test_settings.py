"""Settings from the environment, as a fresh process loads them: production values pass
Django's deploy checks, and a bad value stops start-up with a message naming the variable."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "portal.example.com"}


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """Run manage.py with only `environment` set (and PATH): no DATABASE_URL, so the embedded
    SQLite default is used and no server is needed."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded_settings(**environment: str) -> dict[str, str]:
    """The settings a process gets from `environment`: name -> repr of the value. (diffsettings
    marks defaults with a leading and changed ones with a trailing ###.)"""
    result = manage("diffsettings", "--all", **environment)
    assert result.returncode == 0, result.stderr
    lines = (line.strip("# ") for line in result.stdout.splitlines())
    return dict(line.split(" = ", 1) for line in lines if " = " in line)


def secret_key() -> str:
    return secrets.token_urlsafe(64)  # 86 characters


def test_production_settings_pass_the_deploy_checks_without_a_warning():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=secret_key(), **PRODUCTION
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_turns_on_https_only_cookies_redirects_and_hsts():
    loaded = loaded_settings(DJANGO_SECRET_KEY=secret_key(), **PRODUCTION)
    assert loaded["DEBUG"] == "False"
    assert loaded["SECURE_SSL_REDIRECT"] == "True"
    assert loaded["SESSION_COOKIE_SECURE"] == "True"
    assert loaded["CSRF_COOKIE_SECURE"] == "True"
    assert loaded["SECURE_HSTS_SECONDS"] == "31536000"
    assert loaded["SECURE_PROXY_SSL_HEADER"] == "None"


def test_behind_a_tls_proxy_the_forwarded_protocol_is_trusted():
    loaded = loaded_settings(
        DJANGO_SECRET_KEY=secret_key(), DJANGO_BEHIND_TLS_PROXY="true", **PRODUCTION
    )
    assert loaded["SECURE_PROXY_SSL_HEADER"] == "('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.parametrize(
    ("environment", "count"),
    [
        ({}, "0"),
        ({"DJANGO_BEHIND_TLS_PROXY": "true"}, "1"),
        ({"DJANGO_BEHIND_TLS_PROXY": "true", "DJANGO_TRUSTED_PROXY_COUNT": "2"}, "2"),
        ({"DJANGO_TRUSTED_PROXY_COUNT": "1"}, "1"),
    ],
)
def test_rate_limits_trust_the_forwarded_address_only_behind_proxies(environment, count):
    loaded = loaded_settings(DJANGO_SECRET_KEY=secret_key(), **PRODUCTION, **environment)
    assert loaded["ALLAUTH_TRUSTED_PROXY_COUNT"] == count


def test_database_options_from_the_url_are_kept():
    url = "postgres://portal@db.example.com/portal?options=-c%20search_path%3Dportal"
    databases = loaded_settings(DATABASE_URL=url)["DATABASES"]
    assert "'options': '-c lock_timeout=5000 -c search_path=portal'" in databases


@pytest.mark.parametrize(("value", "prepared"), [(None, True), ("false", False)])
def test_postgresql_statements_are_prepared_unless_turned_off(value, prepared):
    environment = {"DATABASE_URL": "postgres://portal@db.example.com/portal"}
    if value is not None:
        environment["DATABASE_PREPARED_STATEMENTS"] = value
    databases = loaded_settings(**environment)["DATABASES"]
    assert "'server_side_binding': True" in databases
    assert ("'prepare_threshold': 5" in databases) is prepared


def test_sqlite_takes_the_write_lock_when_a_transaction_begins():
    assert "'transaction_mode': 'IMMEDIATE'" in loaded_settings()["DATABASES"]


@pytest.mark.parametrize(
    ("name", "value", "setting", "loaded"),
    [
        (
            "MAIL_DELIVERY_BACKEND",
            "django.core.mail.backends.locmem.EmailBackend",
            "MAIL_DELIVERY_BACKEND",
            "'django.core.mail.backends.locmem.EmailBackend'",
        ),
        (
            "MAIL_DELIVERY_BACKEND",
            "smtp",
            "MAIL_DELIVERY_BACKEND",
            "'django.core.mail.backends.smtp.EmailBackend'",
        ),
        ("RATE_LIMIT_REDEEM", "10/m", "ACCOUNT_RATE_LIMITS", "'redeem': '10/m'"),
        (
            "RATE_LIMIT_REDEEM_FAILED",
            "3/30s/ip, 20/1.5d/ip",
            "ACCOUNT_RATE_LIMITS",
            "'redeem_failed': '3/30s/ip, 20/1.5d/ip'",
        ),
    ],
)
def test_good_values_are_taken(name, value, setting, loaded):
    assert loaded in loaded_settings(**{name: value})[setting]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("MAIL_MAX_RETRIES", "lots"),
        ("GEOCODER_SCHEME", "ftp"),
        ("MAIL_RETRY_DELAY", "soon"),
        ("EMAIL_PORT", "0"),
        ("DJANGO_HSTS_SECONDS", "a year"),
        ("DJANGO_SECURE_SSL_REDIRECT", "sometimes"),
        ("DJANGO_TRUSTED_PROXY_COUNT", "-1"),
        ("MAIL_DELIVERY_BACKEND", "smpt"),
        ("MAIL_DELIVERY_BACKEND", "no_such_provider.backends.EmailBackend"),
        ("MAIL_DELIVERY_BACKEND", "django.core.mail.backends.nosuch.EmailBackend"),
        ("RATE_LIMIT_REDEEM", "30 per hour"),
        ("RATE_LIMIT_REDEEM_FAILED", "5/15x/ip"),
        ("RATE_LIMIT_REDEEM_FAILED", "5/15m/user"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    result = manage("check", **{name: value})
    assert result.returncode != 0
    assert name in result.stderr
    assert value in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.parametrize("key", [None, "", "   "])
def test_production_without_a_secret_key_refuses_to_start(key):
    environment = dict(PRODUCTION)
    if key is not None:
        environment["DJANGO_SECRET_KEY"] = key
    result = manage("check", **environment)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GEOCODER", "nominatimm"),
        ("GEOCODER", "Offline"),
        ("PORTAL_DEFAULT_TIME_ZONE", "Mars/Olympus"),
        ("PORTAL_DEFAULT_TIME_ZONE", "europe/oslo"),
    ],
)
@pytest.mark.parametrize(
    "command", [("check",), ("migrate", "--noinput")], ids=["check", "migrate"]
)
def test_an_unknown_geocoder_or_default_zone_stops_start_up_naming_it(command, name, value):
    # In memory: a migrate that wrongly went ahead leaves nothing behind.
    result = manage(*command, DATABASE_URL="sqlite:///:memory:", **{name: value})
    assert result.returncode != 0
    assert f"{name} must be" in result.stderr
    assert repr(value) in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GEOCODER", "offline"),
        ("GEOCODER", "nominatim"),
        ("GEOCODER", "Nominatim"),
        ("PORTAL_DEFAULT_TIME_ZONE", "Europe/Oslo"),
        ("PORTAL_DEFAULT_TIME_ZONE", "UTC"),
    ],
)
def test_a_known_geocoder_or_default_zone_passes_the_checks(name, value):
    result = manage("check", **{name: value})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "server",
    [
        ("-m", "gunicorn", "portal.wsgi:application", "--bind", "127.0.0.1:0"),
        ("-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-mingle"),
        ("-m", "celery", "-A", "portal", "beat", "--schedule", "{tmp}/beat-schedule"),
    ],
    ids=["gunicorn", "celery worker", "celery beat"],
)
def test_servers_that_run_no_system_checks_stop_on_a_bad_setting_too(server, tmp_path):
    result = subprocess.run(
        [sys.executable, *(arg.format(tmp=tmp_path) for arg in server)],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "GEOCODER": "nominatimm"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "GEOCODER must be" in result.stdout + result.stderr
