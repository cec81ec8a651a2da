from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-up and activation, login and its lockout, the password pages. The User model stays
    in polls (AUTH_USER_MODEL = "polls.User"), so no table moved with these."""

    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from . import tokens  # noqa: F401 (connects the token cache's receivers)
