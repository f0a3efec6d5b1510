"""Settings of the load benchmark: the portal's own, plus the bare page's URL (bench/urls.py)."""

from ctg_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
