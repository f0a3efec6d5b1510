"""What the account page reads: the user's memberships, each with its convention or CAF in the
same query."""

from conventions.models import CafMembership, Membership


def convention_memberships(user):
    return (
        Membership.objects.filter(user=user)
        .select_related("convention")
        .order_by("-convention__start_year", "convention__title", "pk")
    )


def caf_memberships(user):
    return CafMembership.objects.filter(user=user).select_related("caf").order_by("caf__name", "pk")
