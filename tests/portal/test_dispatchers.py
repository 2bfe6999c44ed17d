"""A dispatcher in the Dispatchers group (made by a migration, not a superuser) sees what the
desk needs in admin and none of the internals."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db

SEEN = [
    "admin:scheduling_appointment_changelist",
    "admin:scheduling_serviceaccount_changelist",
    "admin:scheduling_resource_changelist",
    "admin:portal_invitation_changelist",
    "admin:tracking_device_changelist",
    "admin:surveys_response_changelist",
    "admin:scheduling_closure_changelist",
    "admin:scheduling_dayboard_changelist",
]
HIDDEN = [
    "admin:auth_group_changelist",
    "admin:portal_user_changelist",
    "admin:portal_outboxmessage_changelist",
    "admin:socialaccount_socialaccount_changelist",
    "admin:socialaccount_socialapp_changelist",
    "admin:socialaccount_socialtoken_changelist",
]


def test_the_group_holds_the_desk_permissions_and_no_internal_one():
    codenames = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="Dispatchers").permissions.select_related("content_type")
    }
    assert {
        "scheduling.change_appointment",
        "scheduling.add_timeoff",
        "scheduling.add_closure",
        "scheduling.change_closure",
        "scheduling.change_workinghours",
        "portal.add_invitation",
        "tracking.add_device",
        "tracking.view_dispatch_map",
        "scheduling.view_day_board",
        "surveys.view_results",
        "surveys.export_responses",
    } <= codenames
    internal = {"auth", "socialaccount", "account", "admin", "sessions", "contenttypes"}
    assert not {c for c in codenames if c.split(".")[0] in internal}
    assert not {c for c in codenames if c.endswith(("_user", "_outboxmessage", "_group"))}


def test_the_dispatcher_has_the_permissions_through_the_group(desk_dispatcher):
    assert not desk_dispatcher.is_superuser
    assert desk_dispatcher.has_perm("tracking.view_dispatch_map")
    assert desk_dispatcher.has_perm("surveys.view_results")
    assert not desk_dispatcher.has_perm("auth.change_group")


@pytest.mark.parametrize("name", SEEN)
def test_the_dispatcher_opens_the_desk_sections(desk_client, name):
    assert desk_client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", HIDDEN)
def test_the_internal_sections_are_closed_to_the_dispatcher(desk_client, name):
    assert desk_client.get(reverse(name)).status_code == 403


def test_the_index_lists_the_desk_and_not_the_internals(desk_client):
    page = desk_client.get(reverse("admin:index")).content.decode()
    for name in SEEN:
        assert reverse(name) in page
    for name in HIDDEN:
        assert reverse(name) not in page
    assert "Social accounts" not in page
    assert "Authentication and Authorization" not in page


def test_the_dispatcher_cannot_give_themselves_permissions(desk_client, desk_dispatcher):
    change = reverse("admin:portal_user_change", args=[desk_dispatcher.pk])
    assert desk_client.get(change).status_code == 403


def test_the_dispatcher_edits_a_technicians_time_off(desk_client, technician):
    page = desk_client.get(reverse("admin:scheduling_resource_change", args=[technician.pk]))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "user" not in form.fields  # shown, not editable: no need to reach the users
    formsets = {f.formset.prefix: f for f in page.context["inline_admin_formsets"]}
    assert formsets["time_off"].has_add_permission
    assert formsets["hours"].has_change_permission
