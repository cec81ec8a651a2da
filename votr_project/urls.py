from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.decorators.cache import cache_control
from django.views.generic import RedirectView, TemplateView

from polls import views as pages
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
    # Account pages (issue 3): only the ones Votr has, each in the site's look.
    path("accounts/signup/", pages.SignUpView.as_view(), name="signup"),
    path(
        "accounts/signup/sent/",
        TemplateView.as_view(template_name="registration/signup_done.html"),
        name="signup_done",
    ),
    path("accounts/activate/<uidb64>/<token>/", pages.ActivateView.as_view(), name="activate"),
    path("accounts/login/", pages.LoginView.as_view(), name="login"),
    path("accounts/logout/", pages.LogoutView.as_view(), name="logout"),
    path("accounts/password/", pages.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/reset/", pages.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        pages.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # The REST API (issue 4): polls/api/urls.py.
    path("api/", include("polls.api.urls")),
    path("", include("polls.urls")),
]
