from rest_framework import authentication, exceptions

from accounts.tokens import token_lookup


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing a key no token could have before it reaches the
    database (PostgreSQL cannot even compare a string holding a NUL), and finding the token
    and its user through the token cache (accounts/tokens.py): no query once cached."""

    def authenticate_credentials(self, key):
        if len(key) > 40 or not key.isascii() or not key.isalnum():
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = token_lookup(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return token.user, token
