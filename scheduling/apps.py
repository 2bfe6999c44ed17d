from django.apps import AppConfig
from django.core import checks


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from scheduling.caches import watch_planning_data
        from scheduling.checks import SETTINGS_TAG, check_settings

        checks.register(check_settings, SETTINGS_TAG)
        watch_planning_data()
