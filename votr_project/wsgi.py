"""WSGI entry point for gunicorn (see the Procfile)."""

import os

from django.core.wsgi import get_wsgi_application

from votr_project.middleware import UnreadableCharsetGuard

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "votr_project.settings")

# The guard runs before Django builds its request: see its docstring.
application = UnreadableCharsetGuard(get_wsgi_application())
