from django.contrib.staticfiles.apps import StaticFilesConfig


class VotrStaticFilesConfig(StaticFilesConfig):
    # drf-spectacular-sidecar also ships Redoc (about 5 MB); Votr's API docs use Swagger UI only,
    # so leaving Redoc out halves what collectstatic copies and compresses at every build.
    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "redoc"]
