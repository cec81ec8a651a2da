from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.decorators.cache import cache_control
from django.views.generic import RedirectView

from votr_project.health import healthz

# Database errors raised inside a middleware are a 503 or a 409 too (see the module).
handler500 = "votr_project.database_errors.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    # For load balancers; exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT).
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the pages link. Not a permanent redirect: the
    # icon's hashed name changes with the icon, so it is cached for a day instead.
    path(
        "favicon.ico",
        cache_control(max_age=86400, public=True)(
            RedirectView.as_view(url=lazy(static, str)("img/favicon.svg"))
        ),
        name="favicon",
    ),
    # Account pages (issue 3): accounts/urls.py.
    path("accounts/", include("accounts.urls")),
    # The REST API (issue 4): polls/api/urls.py.
    path("api/", include("polls.api.urls")),
    path("", include("polls.urls")),
]
