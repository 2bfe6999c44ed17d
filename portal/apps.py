from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"


class DispatchAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that asks staff for a second factor (named in INSTALLED_APPS
    in its place; not the portal app's own config)."""

    default = False
    default_site = "portal.admin_site.DispatchSite"
