"""A kind of mail a customer stopped from its link (on-the-way notices, survey mails): one
row per customer who opted out, none for the others. Each app keeps its own table."""

from django.conf import settings
from django.db import models


class CustomerOptOut(models.Model):
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"Opt-out of customer {self.customer_id}"

    @classmethod
    def holds(cls, customer_id: int) -> bool:
        return cls.objects.filter(customer_id=customer_id).exists()

    @classmethod
    def add(cls, customer_id: int) -> None:
        """No more of these mails for the customer; asking twice is harmless."""
        cls.objects.get_or_create(customer_id=customer_id)

    @classmethod
    def remove(cls, customer_id: int) -> None:
        cls.objects.filter(customer_id=customer_id).delete()
