"""Votr's own settings, plus the benchmark's reference views (bench/urls.py). gunicorn runs with
this module only while the benchmark runs, so the views exist nowhere else."""

from votr_project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
