"""Every page is sent with a Content-Security-Policy that allows no inline code, and the
templates hold none (the browser tests check that no page breaks it)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.test_settings import loaded_settings, manage

ROOT = Path(__file__).resolve().parent.parent
# Mail bodies are not pages: mail clients drop <style>, so their HTML keeps inline styles.
PAGE_TEMPLATES = sorted(
    path
    for folder in settings.TEMPLATES[0]["DIRS"] + list(ROOT.glob("*/templates"))
    for path in Path(folder).rglob("*.html")
    if "email" not in path.parts
)
INLINE = {
    "a script without src": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "a style element": re.compile(r"<style\b", re.IGNORECASE),
    "a style attribute": re.compile(r"\sstyle=", re.IGNORECASE),
    "an event handler attribute": re.compile(r"\son[a-z]+=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "an hx-on attribute": re.compile(r"\s(data-)?hx-on", re.IGNORECASE),
}


def _policy(header: str) -> dict[str, list[str]]:
    return {name: sources for name, *sources in (part.split() for part in header.split(";"))}


@pytest.mark.django_db
def test_pages_are_sent_with_a_policy_without_inline_code_or_eval(client):
    response = client.get(reverse("account_login"))

    policy = _policy(response["Content-Security-Policy"])
    assert policy == {
        "default-src": ["'self'"],
        "img-src": ["'self'", "https://tile.openstreetmap.org"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://tiles.example.com/{z}/{x}/{y}.png", "https://tiles.example.com"),
        ("http://127.0.0.1:8090/tiles/{z}/{x}/{y}.png", "http://127.0.0.1:8090"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ],
)
def test_the_map_tile_host_is_allowed_for_images(url, origin):
    loaded = loaded_settings(MAP_TILE_URL=url)
    assert loaded["MAP_TILE_URL"] == repr(url)
    assert f"'img-src': [\"'self'\", '{origin}']" in loaded["CONTENT_SECURITY_POLICY"]


@pytest.mark.parametrize(
    "url", ["tile.openstreetmap.org", "ftp://tiles.example.com/", "https://:80/"]
)
def test_a_bad_map_tile_url_stops_start_up_naming_the_variable(url):
    result = manage("check", MAP_TILE_URL=url)
    assert result.returncode != 0
    assert "MAP_TILE_URL" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_the_page_templates_hold_no_inline_script_or_style():
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in PAGE_TEMPLATES
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert PAGE_TEMPLATES and not found, found
