"""What customers can book on the portal: the products and, for each, its bookable service
types. Read on every booking page and kept per process until a dispatcher changes it."""

from dataclasses import dataclass

from scheduling.caches import per_planning_version
from scheduling.models import Product, ServiceType


@dataclass(frozen=True)
class Catalogue:
    products: dict[int, Product]  # active, with a service type bookable online; by name
    service_types: dict[int, ServiceType]  # bookable online, by name
    offered: dict[int, list[ServiceType]]  # product id: its bookable service types, by name

    def service_types_for(self, product_id: int | None) -> list[ServiceType]:
        return self.offered.get(product_id, []) if product_id else []


@per_planning_version
def catalogue() -> Catalogue:
    """Shared between requests: read it, never change it."""
    service_types = {
        st.pk: st for st in ServiceType.objects.filter(bookable_on_portal=True).order_by("name")
    }
    links = ServiceType.products.through.objects.filter(servicetype_id__in=service_types)
    offered: dict[int, list[ServiceType]] = {}
    for product_id, service_type_id in links.values_list("product_id", "servicetype_id"):
        offered.setdefault(product_id, []).append(service_types[service_type_id])
    for types in offered.values():
        types.sort(key=lambda st: st.name)
    products = Product.objects.filter(active=True, pk__in=offered).order_by("name")
    return Catalogue({p.pk: p for p in products}, service_types, offered)
