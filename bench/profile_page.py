"""Profile one page with pyinstrument (pip install pyinstrument), on the current database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ctg_load_seed DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/profile_page.py caf /conventions/thore-montagne-noire-2023-2025/
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def main():
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from pyinstrument import Profiler

    settings.ALLOWED_HOSTS = ["*"]
    username, path = sys.argv[1], sys.argv[2]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    assert client.get(path).status_code == 200
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for _ in range(repeat):
            client.get(path)
    print(f"{(time.perf_counter() - started) / repeat * 1000:.1f} ms per request")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    main()
