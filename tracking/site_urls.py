"""The tracking pages people open in a browser (the API is in tracking.urls)."""

from django.urls import path

from tracking import views

app_name = "tracking"

urlpatterns = [
    path("appointments/<int:pk>/map/", views.live_map, name="live_map"),
    # Under /api/: answered through API_MIDDLEWARE, with the page's key (tracking.map_keys).
    path("api/live-map/<int:pk>/", views.live_map_state, name="live_map_state"),
]
