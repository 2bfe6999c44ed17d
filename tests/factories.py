from datetime import time, timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from portal.models import Invitation, User
from portal.services import new_code
from scheduling.models import (
    Appointment,
    Characteristic,
    Product,
    Resource,
    ServiceAccount,
    ServiceType,
    Territory,
    WorkingHours,
)

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


class CharacteristicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Characteristic
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Skill {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Product {n}")


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceType
        django_get_or_create = ["name"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Service {n}")
    duration = timedelta(hours=1)

    @factory.post_generation
    def products(obj, create, extracted, **kwargs):
        if create:
            obj.products.set(extracted or [ProductFactory()])

    @factory.post_generation
    def requires(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.required_characteristics.set(extracted)


class ResourceFactory(factory.django.DjangoModelFactory):
    """A technician. `works` takes "Mon-Fri 08:00-16:00" or a list of such strings; the
    territories default to a fresh one."""

    class Meta:
        model = Resource
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, first_name="Tech")
    home_latitude = 47.6097  # Pike Place, Seattle
    home_longitude = -122.3422
    time_zone = "America/Los_Angeles"

    @factory.post_generation
    def territories(obj, create, extracted, **kwargs):
        if create:
            obj.territories.set(extracted or [TerritoryFactory()])

    @factory.post_generation
    def skills(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.characteristics.set(extracted)

    @factory.post_generation
    def works(obj, create, extracted, **kwargs):
        if not create:
            return
        specs = extracted or ["Mon-Fri 08:00-16:00"]
        for spec in [specs] if isinstance(specs, str) else specs:
            WorkingHours.objects.bulk_create(parse_hours(obj, spec))


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment written directly, in any state and at any start (booking would refuse
    one too soon): for tests of what happens to visits rather than of booking them."""

    class Meta:
        model = Appointment

    service_account = factory.SubFactory(ServiceAccountFactory)
    service_type = factory.SubFactory(ServiceTypeFactory)
    product = factory.LazyAttribute(lambda o: o.service_type.products.first())
    resource = factory.SubFactory(ResourceFactory)
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    end = factory.LazyAttribute(lambda o: o.start + o.service_type.duration)


DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def parse_hours(resource, spec: str) -> list:
    """ "Mon-Fri 08:00-12:00" or "Sat 09:00-13:00" as WorkingHours rows."""
    days, hours = spec.split()
    first, _, last = days.partition("-")
    weekdays = range(DAYS.index(first), DAYS.index(last or first) + 1)
    start, end = (time.fromisoformat(t) for t in hours.split("-"))
    return [WorkingHours(resource=resource, weekday=d, start=start, end=end) for d in weekdays]
