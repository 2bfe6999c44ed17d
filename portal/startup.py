"""What every server process does at start. manage.py runs Django's system checks before
check, migrate and runserver; gunicorn and Celery run none, so a bad setting would only show
at first use. They run the settings checks here instead, and stop."""

from django.core import checks
from django.core.management.base import SystemCheckError

from scheduling.checks import SETTINGS_TAG


def stop_on_bad_settings() -> None:
    errors = [m for m in checks.run_checks(tags=[SETTINGS_TAG]) if m.is_serious()]
    if errors:
        raise SystemCheckError("\n".join(str(m) for m in errors))
