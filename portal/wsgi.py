import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

from portal.handlers import wsgi_application

application = wsgi_application()

from portal.startup import stop_on_bad_settings  # noqa: E402  (needs the apps loaded)

stop_on_bad_settings()
