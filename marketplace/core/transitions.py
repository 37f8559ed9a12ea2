"""The one helper that performs every status change (STYLE.md, "State changes").

Lock the row, check the transition table, save with update_fields, write the event row in the
same transaction; the caller schedules side effects with ``transaction.on_commit``.
"""

from collections.abc import Callable, Mapping
from typing import TypeVar

from django.db import models, transaction

from marketplace.core.exceptions import InvalidTransition

M = TypeVar("M", bound=models.Model)


def lock[M: models.Model](model: type[M], pk: object) -> M:
    """Lock one row for update; the caller must be inside a transaction."""
    return model._default_manager.select_for_update().get(pk=pk)


def lock_many[M: models.Model](model: type[M], pks: list) -> list[M]:
    """Lock rows in primary-key order, so two transactions cannot deadlock."""
    return list(model._default_manager.select_for_update().filter(pk__in=pks).order_by("pk"))


def transition[M: models.Model](
    *,
    instance: M,
    target: str,
    allowed: Mapping[str, frozenset[str] | set[str]],
    record_event: Callable[[M, str, str], object] | None = None,
    field: str = "status",
    extra_fields: Mapping[str, object] | None = None,
) -> M:
    """Move ``instance`` to ``target`` if the table allows it, under a row lock.

    Returns the locked, updated instance. Raises ``InvalidTransition`` otherwise, leaving the
    row untouched. ``record_event(locked, from_status, to_status)`` writes the event row.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition() must run inside a transaction")
    locked = lock(type(instance), instance.pk)
    current = getattr(locked, field)
    if target not in allowed.get(current, ()):
        raise InvalidTransition(
            model=type(instance).__name__.lower(), current=current, target=target
        )
    setattr(locked, field, target)
    update_fields = [field]
    for name, value in (extra_fields or {}).items():
        setattr(locked, name, value)
        update_fields.append(name)
    if any(f.name == "updated_at" for f in locked._meta.concrete_fields):
        update_fields.append("updated_at")
    locked.save(update_fields=update_fields)
    if record_event is not None:
        record_event(locked, current, target)
    return locked
