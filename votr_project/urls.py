from django.contrib import admin
from django.urls import include, path

from polls.views import SignUpView
from votr_project.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    # For load balancers; exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT).
    path("healthz", healthz, name="healthz"),
    path("accounts/signup/", SignUpView.as_view(), name="signup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("polls.urls")),
]
