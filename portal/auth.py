"""Authentication backends that load the signed-in user together with their service account:
every customer page needs both, and this makes them one query instead of two."""

from allauth.account import auth_backends as allauth_backends
from django.conf import settings
from django.contrib.auth import backends, get_user_model


class _UserWithServiceAccount:
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related(settings.CUSTOMER_ACCOUNT_FIELD)
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_UserWithServiceAccount, backends.ModelBackend):
    pass


class AuthenticationBackend(_UserWithServiceAccount, allauth_backends.AuthenticationBackend):
    """allauth's (sign-in by email, and by invitation code in portal.views)."""
