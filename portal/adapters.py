from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
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


class MFAAdapter(DefaultMFAAdapter):
    error_messages = DefaultMFAAdapter.error_messages | {
        "incorrect_code": "That code is not right. Enter the code your authenticator app shows "
        "now.",
    }

    def build_totp_svg(self, url: str) -> str:
        # Drawn inline in the set-up page, as markup without the XML declaration: the
        # Content-Security-Policy refuses the data: image allauth's own page would show.
        return make_qr(url, image_factory=SvgPathImage).to_string(encoding="unicode")
