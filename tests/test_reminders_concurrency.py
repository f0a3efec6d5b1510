"""Reminders sent from two processes at once (two servers' crons, a run started by hand during
the cron's): each e-mail goes out once, on PostgreSQL where writers really run side by side.

Each run is a thread with its own database connection, all started at the same instant (a
barrier). The e-mail backend takes a moment per message, so that a run's claim stays
uncommitted while the other run tries the same one.
"""

import datetime
import io
import threading
import time

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection, connections

from accounts.models import SentNotification
from accounts.notifications import muted
from actions.notifications import tell_new_pilots
from conventions.models import Membership

from .factories import (
    ActionSheetFactory,
    ConventionFactory,
    MembershipFactory,
    StepFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL"
    ),
]

WORKERS = 4
D = datetime.date


class SlowBackend(EmailBackend):
    """The locmem backend, slow as a real server: the sending run holds its claim a while."""

    def send_messages(self, messages):
        time.sleep(0.05)
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def slow_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowBackend"
    settings.REMINDERS_WEEKDAY = 1


def together(task):
    """Run `task(index)` in WORKERS threads at once, each with its own connection."""
    barrier = threading.Barrier(WORKERS)
    results = [None] * WORKERS
    errors = []

    def worker(index):
        try:
            barrier.wait()
            results[index] = task(index)
        except Exception as error:  # reported by the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.fixture
def people():
    """Three coordinators and three pilots, each with something to be told."""
    convention = ConventionFactory()
    users = []
    with muted():
        for index in range(6):
            role = Membership.Role.COORDINATOR if index < 3 else Membership.Role.PILOT
            user = UserFactory(username=f"u{index}", email=f"u{index}@example.org")
            MembershipFactory(user=user, convention=convention, role=role)
            sheet = ActionSheetFactory(convention=convention, number=index + 1)
            sheet.pilots.add(user)
            StepFactory(sheet=sheet, due_on=D(2025, 5, 20))
            users.append(user)
    return convention, users


def test_runs_at_once_send_each_digest_once(people, mailoutbox):
    _convention, users = people

    def send(_index):
        out = io.StringIO()
        call_command("send_reminders", "--date", "2025-06-02", stdout=out, stderr=io.StringIO())
        return out.getvalue()

    outputs = together(send)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)
    assert SentNotification.objects.filter(kind="weekly_digest", key="2025-W23").count() == 6
    sent = sum(int(text.split(" ", 1)[0]) for text in outputs)
    assert sent == 6  # each run tells what it sent; together, every digest once


def test_a_change_told_at_once_by_two_processes_sends_once(people, mailoutbox):
    convention, users = people
    sheet = ActionSheetFactory(convention=convention, number=20)
    pairs = {(user.pk, sheet.pk) for user in users}
    counts = together(lambda _index: tell_new_pilots(pairs))
    assert sum(counts) == 6
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in users)
    assert SentNotification.objects.filter(kind="sheet_assigned").count() == 6
