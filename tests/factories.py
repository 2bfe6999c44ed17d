import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from portal.models import Invitation, User
from portal.services import new_code
from scheduling.models import ServiceAccount, Territory

PASSWORD = "correct-horse-battery-staple"


class TerritoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Territory
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Territory {n}")


class ServiceAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceAccount

    name = factory.Sequence(lambda n: f"Site {n}")
    address = "400 Broad St, Seattle, WA 98109, USA"
    territory = factory.SubFactory(TerritoryFactory)
    latitude = 47.6205
    longitude = -122.3493
    time_zone = "America/Los_Angeles"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = "Pat"
    last_name = "Doe"
    time_zone = "America/Los_Angeles"
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class CustomerFactory(UserFactory):
    service_account = factory.SubFactory(ServiceAccountFactory)


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation written directly; use portal.services.invite to send one."""

    class Meta:
        model = Invitation

    contact_name = "Bob Builder"
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    service_account = factory.SubFactory(ServiceAccountFactory)
    code = factory.LazyFunction(new_code)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=14))
