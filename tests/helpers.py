"""Helpers shared by the test modules."""

import secrets
import threading

from actions import merge
from ctg_portal.forms import ISO_DATE


def expected_status(persona, allowed, ok):
    """The status a permission matrix expects: login redirect for anonymous visitors, 404 for
    outsiders of the convention, `ok` for the personas `allowed`, 403 for the other members."""
    if persona == "anonymous":
        return 302
    if persona == "outsider":
        return 404
    return ok if persona in allowed else 403


def not_served(persona):
    """A method the URL does not serve: 405 for everyone logged in (before any access check:
    the answer is the same for every convention, so it reveals none), login for the others."""
    return 302 if persona == "anonymous" else 405


def back_to_form(persona):
    """A GET on an address that only takes a form's POST: back to the page of the form (the
    user reloaded the address a refused post answered at); that page then applies its rules."""
    return 302


def once():
    """A fresh one-time token, as a form of the portal carries (notes, payments)."""
    return secrets.token_hex(16)


def iso(value):
    return value.strftime(ISO_DATE) if value else ""


def sheet_edit_payload(sheet, steps=None, indicators=None, **changes):
    """The POST data of the edit form for `sheet` as it stands, with `changes` applied.

    `steps` / `indicators`: lists of dicts for the formsets (existing rows carry their "id");
    by default the sheet's current rows, unchanged.
    """
    data = {
        "title": sheet.title,
        "objective": sheet.objective_id,
        "domains": [d.pk for d in sheet.domains.all()],
        "status": sheet.status,
        "priority": sheet.priority,
        "progress": sheet.progress,
        "planned_start": iso(sheet.planned_start),
        "planned_end": iso(sheet.planned_end),
        "description": sheet.description,
        "goals": sheet.goals,
        "target_publics": sheet.target_publics,
        "lead_partner": sheet.lead_partner_id or "",
        "pilots": [u.pk for u in sheet.pilots.all()],
        "elected_referent": sheet.elected_referent,
        "partners": [p.pk for p in sheet.partners.all()],
        "communes": [p.pk for p in sheet.communes.all()],
        "version": sheet.version,
        # The sheet as the form was opened on, signed: the base of a merge.
        "base": merge.sign(merge.state_of(sheet)) if sheet.pk else "",
    }
    if steps is None:
        steps = [
            {"id": s.pk, "title": s.title, "due_on": iso(s.due_on), "done_on": iso(s.done_on)}
            for s in sheet.steps.all()
        ]
    if indicators is None:
        indicators = [
            {
                "id": i.pk,
                "label": i.label,
                "unit": i.unit,
                "kind": i.kind,
                "baseline": i.baseline if i.baseline is not None else "",
                "target": i.target if i.target is not None else "",
            }
            for i in sheet.indicators.all()
        ]
    for prefix, rows, existing in (
        ("steps", steps, sheet.steps.count()),
        ("indicators", indicators, sheet.indicators.count()),
    ):
        data[f"{prefix}-TOTAL_FORMS"] = len(rows)
        data[f"{prefix}-INITIAL_FORMS"] = existing
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value
    for key, value in changes.items():
        data[key] = value
    return {k: ("" if v is None else v) for k, v in data.items()}


def migrate_actions_to(actions_migration=None):
    """Migrate `actions` to that migration (default: its latest), the other apps staying at
    their latest — but the apps whose migrations need a later `actions` (committees,
    documents…) are taken back to nothing meanwhile; returns the models as they are then."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    targets = graph.leaf_nodes()
    if actions_migration:
        latest = next(node for node in targets if node[0] == "actions")
        later = {
            node
            for node in set(graph.forwards_plan(latest))
            - set(graph.forwards_plan(("actions", actions_migration)))
            if node[0] == "actions"
        }
        targets = [
            (app, None) if set(graph.forwards_plan((app, name))) & later else (app, name)
            for app, name in targets
            if app != "actions"
        ]
        targets.append(("actions", actions_migration))
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def post_together(requests):
    """Post every (user or None, url, data or a function building it) at once, each from its
    own client and database connection (the PostgreSQL concurrency tests); the responses, in
    order."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def worker(index, user, url, data):
        from django.db import connections
        from django.test import Client

        client = Client()
        if user is not None:
            client.force_login(user)
        try:
            # A builder gives each thread its own data (an uploaded file is read once).
            payload = data() if callable(data) else data
            barrier.wait()
            results[index] = client.post(url, payload)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(i, *request)) for i, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
