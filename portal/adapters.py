import base64
import functools
import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from cryptography.fernet import Fernet
from django.conf import settings
from qrcode import make as make_qr
from qrcode.image.svg import SvgPathImage


@dataclass(frozen=True)
class MailSite:
    """What allauth's mail templates call the site: our name in the greeting and sign-off
    ("Hello from Field Service Portal!"), and the host the person reached us at below it.
    Without the sites framework allauth would use the host for both."""

    name: str
    domain: str

    def __str__(self) -> str:
        return self.name


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts are made only by redeeming an invitation (portal.views.create_profile).
        return False

    def send_mail(self, template_prefix: str, email: str, context_: dict) -> None:
        # allauth's own builds the site from the sites framework or, without it, from the
        # host alone. Its links already come from the request (build_absolute_uri).
        request = context.request
        host = request.get_host() if request else urlsplit(settings.PORTAL_BASE_URL).netloc
        site = MailSite(name=settings.PORTAL_NAME, domain=host)
        mail = {"request": request, "email": email, "current_site": site, **context_}
        self.render_mail(template_prefix, email, mail).send()


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # An identity provider signs in an existing customer who connected it; it never
        # creates one.
        return False


FERNET_PREFIX = "gAAAAA"  # every Fernet token's first characters (version byte 0x80)


@functools.cache
def _fernet_for(key: str) -> Fernet:
    # A Fernet key from the setting: 32 bytes of its SHA-256, URL-safe base64.
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def _fernet() -> Fernet:
    return _fernet_for(settings.MFA_SECRETS_KEY)


class MFAAdapter(DefaultMFAAdapter):
    error_messages = DefaultMFAAdapter.error_messages | {
        "incorrect_code": "That code is not right. Enter the code your authenticator app shows "
        "now.",
    }

    # Authenticator secrets (the TOTP key) are stored encrypted (Fernet, MFA_SECRETS_KEY); a
    # secret stored in the clear before that (base32: never the token's "gAAAAA") still reads.
    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(FERNET_PREFIX):
            return encrypted_text
        return _fernet().decrypt(encrypted_text.encode()).decode()

    def build_totp_svg(self, url: str) -> str:
        # Drawn inline in the set-up page, as markup without the XML declaration: the
        # Content-Security-Policy refuses the data: image allauth's own page would show.
        return make_qr(url, image_factory=SvgPathImage).to_string(encoding="unicode")
