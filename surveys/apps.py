from django.apps import AppConfig


class SurveysConfig(AppConfig):
    """Feedback on completed appointments (a later issue)."""

    name = "surveys"
    verbose_name = "Surveys"
