"""What the API's accounts calls take and answer: sign up (POST /api/users/) and a token
(POST /api/auth/token/). The rules on the values are accounts.services'."""

from rest_framework import serializers

from polls.models import User

from .fields import PasswordField, StrictCharField

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username", "email"]
        read_only_fields = fields


SIGN_UP_ACCEPTED = "Check your email: it holds the link that activates your account."


class SignUpAcceptedSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What happens next, in a sentence for people.")


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class SignUpInput(serializers.Serializer):
    # The User model's column sizes, which user_create's checks keep to.
    username = StrictCharField(allow_blank=False, max_length=USERNAME_MAX_LENGTH)
    email = StrictCharField(allow_blank=False, max_length=User._meta.get_field("email").max_length)
    password = PasswordField(allow_blank=False, write_only=True, style={"input_type": "password"})


class TokenInput(serializers.Serializer):
    # No longer than a username can be: a failed login stores it (django-axes, 255 characters).
    username = StrictCharField(allow_blank=False, max_length=USERNAME_MAX_LENGTH)
    password = StrictCharField(write_only=True, style={"input_type": "password"})
