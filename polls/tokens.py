"""One-time links in account emails, made in the worker: activation and password reset.

Links start with settings.SITE_URL, since the worker has no request to take the host from."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

User = get_user_model()


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Like a password reset token, with a salt of its own (a reset link never activates, nor
    the reverse) and the account's state in its hash: activating it, or signing up again
    (which sets a new password), ends every link made before. Expires after
    settings.PASSWORD_RESET_TIMEOUT."""

    key_salt = "polls.tokens.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        state = f"{user.is_active}{user.activation_pending}{user.email}"
        return super()._make_hash_value(user, timestamp) + state


activation_token_generator = ActivationTokenGenerator()


def _uidb64(user) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def user_from_uidb64(uidb64: str):
    """The account a link names, or None (a malformed or unknown id)."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    if not 0 < pk < 2**63:
        return None
    return User.objects.filter(pk=pk).first()


def activation_link(user) -> str:
    token = activation_token_generator.make_token(user)
    path = reverse("activate", kwargs={"uidb64": _uidb64(user), "token": token})
    return settings.SITE_URL + path


def password_reset_context(user) -> dict:
    """The context Django's PasswordResetForm gives registration/password_reset_email.html."""
    site = urlsplit(settings.SITE_URL)
    return {
        "email": user.email,
        "domain": site.netloc,
        "site_name": site.netloc,
        "uid": _uidb64(user),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": site.scheme,
    }
