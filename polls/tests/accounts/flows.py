"""What a person does on the account pages, as several tests need it done."""

from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


def reset_password_by_link(client, user, password: str):
    """Open the emailed reset link for `user` and set `password` on the page it leads to;
    returns the answer to that form."""
    user_id = urlsafe_base64_encode(force_bytes(user.pk))
    link = reverse(
        "password_reset_confirm", args=[user_id, default_token_generator.make_token(user)]
    )
    set_page = client.get(link, follow=True).redirect_chain[-1][0]
    return client.post(set_page, {"new_password1": password, "new_password2": password})
