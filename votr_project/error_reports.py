import re

from django.views.debug import SafeExceptionReporterFilter


class SecretHidingReporterFilter(SafeExceptionReporterFilter):
    """Also hides settings and environment entries whose names contain URL or BROKER.

    DATABASE_URL and the broker URLs embed passwords, and Django's default filter only looks
    for names like KEY, TOKEN or PASS.
    """

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|BROKER", flags=re.IGNORECASE
    )
