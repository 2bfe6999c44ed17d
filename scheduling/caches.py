"""Per-process caches of what dispatchers change rarely (resources, their territories and
closures, skills, hours and time off; products and service types), valid until the planning
version changes.

The version lives in the shared cache (Redis) and gets a new, never repeated value after every
committed change to those tables, so the next request in every process loads afresh. Inside
the transaction that makes such a change, the caches are bypassed until it commits. What a
racing booking changes, appointments, is never cached here."""

import functools
import threading
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

PLANNING_VERSION_KEY = "scheduling:planning-version"
# A version lives this long at most, so a change whose bump was lost (the cache unreachable
# just after its commit, or rows written without signals) reaches every process within it.
PLANNING_VERSION_TTL = 600
T = TypeVar("T")


# The version as this thread's current request first read it: one cache round trip per
# request, however many caches it consults. Outside a request (a task, a command) every
# read goes to the cache.
_this_request = threading.local()


def planning_version() -> str:
    if getattr(_this_request, "serving", False):
        if _this_request.version is None:
            _this_request.version = _shared_version()
        return _this_request.version
    return _shared_version()


def _shared_version() -> str:
    # A fresh value when the key is missing (a flushed or restarted cache), never an old one,
    # so entries kept under an earlier version can never match again.
    return cache.get_or_set(PLANNING_VERSION_KEY, _new_version, timeout=PLANNING_VERSION_TTL)


def bump_planning_version() -> None:
    _this_request.version = None
    cache.set(PLANNING_VERSION_KEY, _new_version(), timeout=PLANNING_VERSION_TTL)


def _request_started(**kwargs) -> None:
    _this_request.serving, _this_request.version = True, None


def _request_finished(**kwargs) -> None:
    _this_request.serving, _this_request.version = False, None


def _new_version() -> str:
    return uuid.uuid4().hex


def per_planning_version(
    load: Callable[..., T] | None = None, *, maxsize: int = 128
) -> Callable[..., T]:
    """Keep `load`'s results in this process until the planning version changes. The
    results are shared between requests: read them, never change them."""
    if load is None:
        return functools.partial(per_planning_version, maxsize=maxsize)
    kept = functools.lru_cache(maxsize=maxsize)(lambda version, *args: load(*args))

    @functools.wraps(load)
    def cached(*args):
        if _changed_in_this_transaction():
            # This transaction's own change, not yet committed: read it afresh, and keep
            # it from everyone until it commits (it may yet roll back).
            return load(*args)
        return kept(planning_version(), *args)

    cached.cache_clear = kept.cache_clear
    return cached


def _changed_in_this_transaction() -> bool:
    return any(callback is bump_planning_version for _, callback, _ in connection.run_on_commit)


def changed() -> None:
    """Renew every process's caches once the current transaction commits: for a change made
    without model signals (QuerySet.update)."""
    # After the commit: bumped earlier, another process could load the old rows again
    # under the new version and keep them. The change is done whatever the bump does: a
    # failed one is logged, and the version's expiry makes up for it. Once a transaction:
    # however many rows it changes, one new version.
    if not _changed_in_this_transaction():
        transaction.on_commit(bump_planning_version, robust=True)


def _changed(**kwargs) -> None:
    changed()


def watch(model) -> None:
    """Renew the caches after every committed save or delete of `model`: scheduling's
    planning models, and those an app above it keeps in a per_planning_version cache."""
    label = model._meta.label
    post_save.connect(_changed, sender=model, dispatch_uid=f"planning-save-{label}")
    post_delete.connect(_changed, sender=model, dispatch_uid=f"planning-del-{label}")


def watch_planning_data() -> None:
    request_started.connect(_request_started, dispatch_uid="planning-version-request-started")
    request_finished.connect(_request_finished, dispatch_uid="planning-version-request-finished")
    from scheduling import models as planning

    watched = (
        planning.Characteristic, planning.Closure, planning.Product, planning.Resource,
        planning.ServiceType, planning.Territory, planning.TimeOff, planning.WorkingHours,
    )  # fmt: skip
    for model in watched:
        watch(model)
    for through in (
        planning.Resource.territories.through,
        planning.Resource.characteristics.through,
        planning.ServiceType.required_characteristics.through,
        planning.ServiceType.products.through,
    ):
        m2m_changed.connect(_changed, sender=through, dispatch_uid=f"planning-m2m-{through}")
