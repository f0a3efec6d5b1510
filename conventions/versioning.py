"""Every change to a convention's data moves its `data_version`, which keys the page caches.

Each app registers its models with a function that gives the conventions an instance belongs
to (apps' `ready()`); saves, deletions and many-to-many changes of those models then bump the
version in the same transaction. A cached fragment is looked up under the version read with
the convention at the start of the request, so a page never shows data older than that.

Queryset `.update()` and `bulk_create()` send no signal: code that changes what a page shows
through them calls `bump()` itself (generated datasets start from new conventions).
"""

from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save

_registry = {}


def bump(convention_ids):
    from .models import Convention

    ids = {i for i in convention_ids if i is not None}
    if ids:
        Convention.objects.filter(pk__in=ids).update(data_version=F("data_version") + 1)


def bump_all():
    from .models import Convention

    Convention.objects.update(data_version=F("data_version") + 1)


def track(model, conventions_of, ignore_fields=()):
    """Bump the conventions `conventions_of(instance)` returns whenever `model` changes.

    `conventions_of` returns convention ids, or None for "every convention" (shared objects
    such as partners and users, which change rarely). A save of `ignore_fields` only (fields
    no page shows) bumps nothing.
    """
    _registry[model] = conventions_of

    def changed(sender, instance, **kwargs):
        if kwargs.get("raw"):
            return  # loading a backup: the restored versions are already right
        update_fields = kwargs.get("update_fields")
        if update_fields and set(update_fields) <= set(ignore_fields):
            return
        ids = conventions_of(instance)
        if ids is None:
            bump_all()
        else:
            bump(ids)

    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"version-save-{model}")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"version-del-{model}")
    for field in model._meta.many_to_many:
        m2m_changed.connect(
            _m2m_handler(changed),
            sender=field.remote_field.through,
            weak=False,
            dispatch_uid=f"version-m2m-{model}-{field.name}",
        )


def _m2m_handler(changed):
    def handler(sender, instance, action, reverse, **kwargs):
        if action in ("post_add", "post_remove", "post_clear") and not reverse:
            changed(sender, instance)

    return handler
