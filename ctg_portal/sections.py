"""Sections that the layers above add to a page of a domain below them.

A domain's page knows nothing of the domains above it — the sheet page (`actions`) cannot import
`committees` or `documents` — yet it shows what they hold about its object: the meetings that
discussed a sheet, its decisions, its documents. The page names a *place* and asks for the
place's sections (`sections_of`); the presentation layer (`portal/sections.py`, loaded by
`PortalConfig.ready`) registers, for each place, the functions that build them from the upper
domains' queries. The page's template renders them with `{% sections sections %}`.

A provider takes the request, the reader's `ConventionAccess` and the page's objects (by
keyword) and returns a `Section`, or None when it has nothing to show there. Each provider reads
a fixed number of queries: the page's query guards count them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The places a page offers, and the objects it passes (by keyword) to their providers.
PLACES = {
    "sheet": ("sheet",),  # a fiche action's page (actions)
    "meeting": ("meeting",),  # a meeting's page (committees)
    "funding_year": ("year",),  # the funding table, for the year it shows (funding)
    # The account page (/compte/, accounts): no convention, `access` is None. Each section
    # gives `anchor` and `title` in its context, for the page's table of contents.
    "account": ("user",),
}


@dataclass(frozen=True)
class Section:
    """A template rendered where the page places its sections, with `context` added to the
    page's own (the page's `request`, `csrf_token` and `access` stay available)."""

    template: str
    context: dict[str, Any]


Provider = Callable[..., Section | None]

_providers: dict[str, list[tuple[int, Provider]]] = {place: [] for place in PLACES}


def register(place: str, provider: Provider, *, order: int = 100) -> None:
    """Add `provider`'s section to `place`, in `order` (lowest first). Registering the same
    provider twice adds it once (an app's `ready()` may run twice in tests)."""
    if place not in PLACES:
        raise ValueError(f"Unknown place {place!r}: one of {', '.join(PLACES)}.")
    entries = _providers[place]
    if all(existing is not provider for _order, existing in entries):
        entries.append((order, provider))
        entries.sort(key=lambda entry: entry[0])


def sections_of(place: str, request: Any, access: Any, **objects: Any) -> list[Section]:
    """The sections of `place` for this page, in their order, those with nothing left out."""
    expected = set(PLACES[place])
    if set(objects) != expected:
        raise TypeError(f"The place {place!r} takes {', '.join(sorted(expected))}.")
    built = (provider(request, access, **objects) for _order, provider in _providers[place])
    return [section for section in built if section is not None]
