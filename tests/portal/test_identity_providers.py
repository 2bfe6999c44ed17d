"""External identity providers are switched on by settings; their buttons then show."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
print(Client().get("/accounts/login/").content.decode())
"""


def _login_page(tmp_path, **env) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_configured_providers_offer_their_sign_in_buttons(tmp_path):
    html = _login_page(
        tmp_path,
        OIDC_CLIENT_ID="portal",
        OIDC_CLIENT_SECRET="secret",
        OIDC_SERVER_URL="https://id.example.com",
        OIDC_PROVIDER_NAME="Acme sign-in",
        MICROSOFT_CLIENT_ID="ms-app",
        MICROSOFT_SECRET="ms-secret",
    )
    assert "Or sign in with" in html
    assert ">Acme sign-in</button>" in html
    assert ">Microsoft</button>" in html
    assert "Google" not in html


def test_without_providers_the_sign_in_page_has_no_buttons(tmp_path):
    html = _login_page(tmp_path)
    assert "Or sign in with" not in html
