import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

from portal.startup import stop_on_bad_settings  # noqa: E402  (needs the apps loaded)

stop_on_bad_settings()
