"""The technicians' web app (/tech/, namespace `tech`); its data comes from the API."""

from django.urls import path

from tracking import tech_views

app_name = "tech"

urlpatterns = [
    path("tech/", tech_views.home, name="home"),
]
