"""The Celery app, configured from Django's settings under the CELERY_ namespace.

https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "votr_project.settings")

app = Celery("votr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
