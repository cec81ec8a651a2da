from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing a key no token could have before it reaches the
    database (PostgreSQL cannot even compare a string holding a NUL)."""

    def authenticate_credentials(self, key):
        if len(key) > 40 or not key.isascii() or not key.isalnum():
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
