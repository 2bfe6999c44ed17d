from django.urls import path

from tracking.api import api

urlpatterns = [
    path("api/tech/v1/", api.urls),
]
