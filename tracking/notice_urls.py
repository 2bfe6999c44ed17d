"""The page behind the unsubscribe link of the on-the-way notices (tracking.notice_mail)."""

from django.urls import path

from tracking import notice_views

app_name = "notices"

urlpatterns = [
    path("notices/unsubscribe/<str:token>/", notice_views.unsubscribe, name="unsubscribe"),
]
