"""The portal's own settings (read from the environment as in production) plus the bench's
URLconf, which adds the baseline view, and a static root of its own under var/."""

from portal.settings import *  # noqa: F403
from portal.settings import VAR_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = VAR_DIR / "bench-static"
