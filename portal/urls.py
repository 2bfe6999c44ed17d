from django.contrib import admin
from django.urls import include, path

from portal import views
from portal.health import HealthView
from portal.logs import HEALTH_PATH

portal_patterns = [
    path("", views.home, name="home"),
    path("redeem/", views.redeem, name="redeem"),
    path("redeem/profile/", views.create_profile, name="create_profile"),
    path("profile/", views.profile, name="profile"),
    path("profile/data/", views.download_data, name="download_data"),
    path("profile/close/", views.close_account, name="close_account"),
]

urlpatterns = [
    path("", include((portal_patterns, "portal"))),
    path("", include("scheduling.urls")),
    path("", include("tracking.urls")),
    path("", include("tracking.site_urls")),
    path("", include("tracking.tech_urls")),
    path("", include("tracking.notice_urls")),
    path("", include("surveys.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path(HEALTH_PATH.lstrip("/"), HealthView.as_view(), name="health"),
]
