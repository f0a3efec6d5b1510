"""Context shared by every page."""


def header_key(request):
    """What the cached header depends on for this user (the part of base.html before <main>)."""
    # Defaults that a view's context overrides: pages without a convention have none.
    context = {"convention": None, "demo_data": False, "header_key": "anonymous"}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        name = user.get_full_name()
        context["header_key"] = f"{user.pk}:{int(user.is_staff)}:{user.username}:{name}"
    return context
