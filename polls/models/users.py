from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """Django's user, with an email that is required and unique ignoring case."""

    email = models.EmailField("email address")
    # Signed up but not yet activated from the emailed link (is_active is off until then).
    # Kept apart from is_active, so an account staff deactivated is never re-activated by a
    # sign-up with its address.
    activation_pending = models.BooleanField(default=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_unique_ignoring_case"),
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
        ]
