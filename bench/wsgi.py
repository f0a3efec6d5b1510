"""WSGI entry point of the load benchmark (bench.settings: the portal plus the bare page)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
application = get_wsgi_application()
