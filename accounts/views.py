from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import generic

from polls.services import limits
from polls.views import RateLimitedPostMixin, _safe_next

from . import lockout, services
from .forms import ActivateForm, SignUpForm

# Where the sign-up started, kept in the session until the account is activated.
SIGNUP_NEXT_SESSION_KEY = "signup_next"


class SignUpView(RateLimitedPostMixin, generic.FormView):
    template_name = "registration/signup.html"
    form_class = SignUpForm
    post_limits = (limits.SIGNUP,)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect("polls:index")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refused() or super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(next=_safe_next(self.request, ""), **kwargs)

    def form_valid(self, form):
        # The same answer whether or not the address has an account: the email says which.
        if not form.save():
            return self.form_invalid(form)
        # The emailed link carries no `next`: the activation in this browser finds it here.
        if next_page := _safe_next(self.request, ""):
            self.request.session[SIGNUP_NEXT_SESSION_KEY] = next_page
        return redirect("signup_done")


class ActivateView(generic.View):
    """The link in the activation email. Opening it (GET) changes nothing and shows a form;
    posting the password chosen at sign-up activates the account, logs it in, and goes back to
    the page the sign-up started from if this browser signed up, else home. A wrong password
    counts as a failed login (django-axes). A used, expired or forged link gets a page saying
    how to get a new one."""

    http_method_names = ["get", "post"]
    template_name = "registration/activate.html"

    def get(self, request, uidb64, token):
        user = services.user_awaiting_activation(uidb64=uidb64, token=token)
        if user is None:
            return render(request, "registration/activation_invalid.html")
        form = ActivateForm(uidb64=uidb64, token=token)
        return render(request, self.template_name, {"form": form, "pending": user})

    def post(self, request, uidb64, token):
        user = services.user_awaiting_activation(uidb64=uidb64, token=token)
        if user is None:
            return render(request, "registration/activation_invalid.html")
        form = ActivateForm(request.POST, uidb64=uidb64, token=token)
        if lockout.is_locked_out(request, username=user.username):
            # Counted as another failure, as the login page does; the middleware answers 429.
            lockout.login_failed(request, username=user.username)
            return render(request, self.template_name, {"form": form, "pending": user})
        activated = form.save() if form.is_valid() else None
        if activated is None:
            if form.errors:
                lockout.login_failed(request, username=user.username)
                return render(request, self.template_name, {"form": form, "pending": user})
            return render(request, "registration/activation_invalid.html")
        login(request, activated, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Votr, {activated.username}! Your account is active.")
        next_page = request.session.pop(SIGNUP_NEXT_SESSION_KEY, "")
        if url_has_allowed_host_and_scheme(
            next_page, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_page)
        return redirect("polls:index")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"Welcome back, {form.get_user().username}!")
        return response

    def form_invalid(self, form):
        # A lockout gets the locked-out page (django-axes' middleware), which says it all.
        locked_out = getattr(self.request, "axes_locked_out", False)
        if form.non_field_errors() and not locked_out:
            messages.error(self.request, "Username or password is incorrect. Please try again.")
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out. See you soon!")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    def get_success_url(self):
        return reverse("polls:index")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.user_password_changed(user=form.user)
        messages.success(self.request, "Your password is changed.")
        return response


class PasswordResetView(RateLimitedPostMixin, auth_views.PasswordResetView):
    """Emails a one-time link to set a new password. Says the same whether or not an account
    has that address, so the page cannot be used to find out who has signed up.

    The per-target limit counts a request only once the per-address limit let it through (else
    anyone could use up a victim's own resets), and counts it for the account the address finds
    (services.password_reset_target), so spellings of one address share a count."""

    post_limits = (limits.PASSWORD_RESET,)

    def post(self, request, *args, **kwargs):
        return self.refused() or self.refused_for_target() or super().post(request, *args, **kwargs)

    def refused_for_target(self):
        target = services.password_reset_target(email=self.request.POST.get("email", ""))
        return self.refused(post_limits=(limits.PASSWORD_RESET_TARGET,), email=target)

    def get_success_url(self):
        return reverse("password_reset_done")

    def form_valid(self, form):
        # The worker writes and sends the email: a request for an address with an account
        # takes as long as one without, and publishes the same one message.
        services.password_reset_request(email=form.cleaned_data["email"])
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def get_success_url(self):
        return reverse("login")

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            services.user_password_changed(user=form.user)
        messages.success(self.request, "Your password is set. Log in with it now.")
        return response
