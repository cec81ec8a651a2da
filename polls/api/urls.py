from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from polls.models import PUBLIC_ID_PATTERN

from . import exports, views, views_site

app_name = "api"

router = SimpleRouter()
router.register("polls", views.PollViewSet, basename="poll")

urlpatterns = [
    path("", views_site.IndexView.as_view(), name="index"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("users/", views.SignUpView.as_view(), name="users"),
    path("options/", views.OptionLabelsView.as_view(), name="options"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views_site.DocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(
        rf"^polls/(?P<public_id>{PUBLIC_ID_PATTERN})/results/$",
        exports.PollExportView.as_view(),
        name="poll-results",
    ),
    *router.urls,
    # Anything else under /api/ is a JSON 404, never the site's HTML page.
    re_path(r"^(?P<path>[\s\S]*)$", views_site.not_found),  # newlines too
]
