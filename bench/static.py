"""`collectstatic` when a static file changed since it last ran (it takes half a minute: every
file is compressed again), as debug-off pages need the manifest it writes.

    python -m bench.static    (run by bench/run.py, with the web environment)
"""

import os
from pathlib import Path

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.finders import get_finders  # noqa: E402
from django.core.management import call_command  # noqa: E402


def newest_source() -> float:
    newest = 0.0
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            newest = max(newest, os.path.getmtime(storage.path(path)))
    return newest


def main() -> None:
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists() or manifest.stat().st_mtime < newest_source():
        call_command("collectstatic", interactive=False, verbosity=0)


if __name__ == "__main__":
    main()
