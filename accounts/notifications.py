"""A switch for the e-mails sent as data changes (a pilot named on a sheet): operations that
write data in bulk (seed, demonstration data, restore, dataset generation) run `muted()`."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_muted: ContextVar[bool] = ContextVar("notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def is_muted() -> bool:
    return _muted.get()
