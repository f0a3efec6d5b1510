"""The open-data files of a public convention and their Data Package, built together once per
change and kept in Django's cache.

The cache key holds the convention, its stamp (queries.stamp_of: the latest history record of
its data and a fingerprint of what has no history) and today's date (lateness moves with the
days): an edit changes the key, so the next request builds anew and nothing stale is served.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from actions.models import ActionSheet
from committees.models import Meeting
from conventions.models import Convention
from ctg_portal.http import etag_of
from funding.models import FundingLine

from . import queries
from .queries import Stamp
from .schema import (
    FUNDING,
    INDICATORS,
    LICENCE,
    MEETINGS,
    OBJECTIVES,
    SHEETS,
    VALUES,
    Resource,
)

# A bundle stays a day at most: its key changes with every edit anyway.
CACHE_SECONDS = 24 * 60 * 60

logger = logging.getLogger(__name__)

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class File:
    resource: Resource
    body: bytes
    rows: int

    @property
    def etag(self) -> str:
        return etag_of(self.body)


@dataclass(frozen=True)
class Bundle:
    files: dict[str, File]  # by file name, in the package's order
    datapackage: bytes
    last_update: datetime.datetime | None
    # When this bundle was built: the files' Last-Modified. Not `last_update`, which misses
    # what has no history (a value added, the day's lateness): a client that sends only
    # If-Modified-Since must never get a 304 for content it has not seen. The content of a
    # stamp is the same whichever worker builds it, so any worker's build time is safe.
    built_at: datetime.datetime


def cell(value: Any) -> str:
    """Machine-readable: ISO dates, dot decimals, true/false, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def write_csv(resource: Resource, rows: Iterable[dict[str, Any]]) -> File:
    """UTF-8 without BOM, comma-separated, the header in the schema's order (RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(resource.columns)
    count = 0
    for row in rows:
        writer.writerow([cell(row[name]) for name in resource.columns])
        count += 1
    return File(resource, out.getvalue().encode("utf-8"), count)


def objective_rows(convention: Convention):
    for objective in queries.objectives(convention):
        yield {
            "numero": objective.number,
            "titre": objective.title,
            "enjeux": queries.joined([c.title for c in objective.challenge_list]),
            "domaines": queries.joined([d.name for d in objective.domain_list]),
        }


def sheet_rows(convention: Convention, today: datetime.date):
    statuses = dict(ActionSheet.Status.choices)
    for sheet in queries.sheets(convention, today):
        yield {
            "numero": sheet.number,
            "titre": sheet.title,
            "objectif_numero": sheet.objective.number,
            "statut": sheet.status,
            "statut_libelle": statuses.get(sheet.status, sheet.status),
            "priorite": sheet.priority,
            "avancement": sheet.progress,
            "date_debut": sheet.planned_start,
            "date_fin": sheet.planned_end,
            "en_retard": bool(sheet.is_late),
            "structure_pilote": sheet.lead_partner.name if sheet.lead_partner else None,
            "domaines": queries.joined([d.name for d in sheet.domain_list]),
        }


def funding_rows(convention: Convention):
    """Every line × every year of the period: a year without an amount has none planned."""
    categories = dict(FundingLine.Category.choices)
    amounts = {(a.line_id, a.year): a for a in queries.funding_amounts(convention)}
    for line in queries.funding_lines(convention):
        for year in convention.years:
            amount = amounts.get((line.pk, year))
            yield {
                "ligne_id": line.pk,
                "libelle": line.label,
                "categorie": line.category,
                "categorie_libelle": categories.get(line.category, line.category),
                "financeur": line.funder.name,
                "part_collectivites": line.is_local_share,
                "structure": line.structure.name if line.structure else None,
                "annee": year,
                "montant_prevu": amount.planned if amount else None,
                "montant_verse": (amount.paid if amount else Decimal(0)).quantize(CENTS),
            }


def indicator_rows(convention: Convention):
    for indicator in queries.indicators(convention):
        yield {
            "id": indicator.pk,
            "fiche_numero": indicator.sheet.number,
            "libelle": indicator.label,
            "unite": indicator.unit,
            "type": indicator.kind,
            "valeur_reference": indicator.baseline,
            "date_reference": indicator.baseline_date,
            "cible": indicator.target,
        }


def value_rows(convention: Convention):
    for value in queries.indicator_values(convention):
        yield {
            "indicateur_id": value["indicator_id"],
            "date_mesure": value["measured_on"],
            "valeur": value["value"],
        }


def meeting_rows(meetings: list[Meeting]):
    kinds = dict(Meeting.Kind.choices)
    for meeting in meetings:
        moment = timezone.localtime(meeting.starts_at)
        yield {
            "id": meeting.pk,
            "type": meeting.kind,
            "type_libelle": kinds.get(meeting.kind, meeting.kind),
            "titre": meeting.title,
            "date": moment.date(),
            "heure": moment.strftime("%H:%M"),
            "lieu": meeting.place,
            "etat": meeting.state,
        }


def build_files(convention: Convention, today: datetime.date) -> dict[str, File]:
    """Every file, in a fixed number of queries (nine at most)."""
    files = [
        write_csv(OBJECTIVES, objective_rows(convention)),
        write_csv(SHEETS, sheet_rows(convention, today)),
        write_csv(FUNDING, funding_rows(convention)),
        write_csv(INDICATORS, indicator_rows(convention)),
        write_csv(VALUES, value_rows(convention)),
    ]
    meetings = list(queries.publishable_meetings(convention))
    if meetings:  # the file exists only when there is something to publish
        files.append(write_csv(MEETINGS, meeting_rows(meetings)))
    return {file.resource.filename: file for file in files}


def producer(convention: Convention) -> list[dict[str, str]]:
    """The organisations that produce the data: the CAF and the territory (EPCI)."""
    people = []
    if convention.caf_id:
        people.append({"title": convention.caf.name, "role": "publisher"})
    people.append({"title": territory_of(convention), "role": "author"})
    return people


def datapackage(convention: Convention, files: dict[str, File], stamp: Stamp) -> dict[str, Any]:
    """The Frictionless Data Package (v1): relative paths, so that it resolves beside the
    files wherever it is read from."""
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": f"ctg-{convention.slug}",
        "title": convention.title,
        "description": _(
            "Open data of the Convention Territoriale Globale %(title)s (%(start)s–%(end)s): "
            "its strategic objectives, action sheets, funding, indicators and steering meetings."
        )
        % {"title": convention.title, "start": convention.start_year, "end": convention.end_year},
        "licenses": [LICENCE],
        "contributors": producer(convention),
        "sources": [
            {"title": _("CTG Portal of %(territory)s") % {"territory": territory_of(convention)}}
        ],
        "keywords": ["CTG", "CAF", convention.territory],
    }
    if stamp.last_update:
        package["created"] = stamp.last_update.isoformat()
    package["resources"] = [
        {
            "name": file.resource.name,
            "title": str(file.resource.title),
            "description": str(file.resource.description),
            "path": file.resource.filename,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": len(file.body),
            "hash": "sha256:" + hashlib.sha256(file.body).hexdigest(),
            "dialect": {"delimiter": ",", "header": True},
            "schema": file.resource.as_schema(),
        }
        for file in files.values()
    ]
    return package


def territory_of(convention: Convention) -> str:
    return convention.epci.name if convention.epci_id else convention.territory


def build(convention: Convention, stamp: Stamp, today: datetime.date) -> Bundle:
    with translation.override(settings.LANGUAGE_CODE):
        files = build_files(convention, today)
        package = datapackage(convention, files, stamp)
    body = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    return Bundle(files, body, stamp.last_update, timezone.now())


def bundle_of(convention: Convention, stamp: Stamp, today: datetime.date) -> Bundle:
    """The bundle from the cache, built on a miss (the first request after an edit)."""
    digest = hashlib.sha256(f"{stamp.key}|{today.isoformat()}".encode()).hexdigest()[:32]
    key = f"opendata:{convention.pk}:{digest}"
    try:
        bundle = cache.get(key)
    except Exception:  # the shared cache (Redis) is down: build it for this request
        logger.warning("Open-data cache unavailable: building the files.", exc_info=True)
        return build(convention, stamp, today)
    if bundle is None:
        bundle = build(convention, stamp, today)
        try:
            cache.set(key, bundle, CACHE_SECONDS)
        except Exception:
            logger.warning("Open-data cache unavailable: not kept.", exc_info=True)
    return bundle
