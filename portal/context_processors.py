from django.conf import settings


def portal(request) -> dict:
    return {"PORTAL_NAME": settings.PORTAL_NAME}
