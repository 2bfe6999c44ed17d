from django.urls import path, re_path

from tracking import errors
from tracking.api import api

# Every answer under the API is JSON, even where ninja would answer otherwise.
_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = errors.json_errors(_pattern.callback)

urlpatterns = [
    path("api/tech/v1/", (_patterns, _app_name, _namespace)),
    re_path(r"^api/tech/v1/", errors.not_found),
]
