from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from . import services

User = get_user_model()


class SignUpForm(forms.Form):
    username = forms.CharField(
        max_length=User._meta.get_field("username").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    # A CharField: user_signup checks the address, so every problem is reported at once.
    email = forms.CharField(
        max_length=User._meta.get_field("email").max_length,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not only digits, not a common password.",
    )

    def save(self) -> bool:
        """Sign up through the domain rule (which emails a link or a notice); its errors land
        on the fields. False if it refused."""
        try:
            services.user_signup(**self.cleaned_data)
        except ValidationError as error:
            self.add_error(None, error)
            return False
        return True


class ActivateForm(forms.Form):
    """The activation page: the password chosen at sign-up confirms that whoever opened the
    emailed link is who signed up."""

    password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="The password you chose when you signed up.",
    )

    def __init__(self, *args, uidb64: str, token: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.uidb64, self.token = uidb64, token

    def save(self):
        """The activated account; None for a link no longer valid; None with the error on
        the form for a wrong password."""
        try:
            return services.user_activate(
                uidb64=self.uidb64, token=self.token, password=self.cleaned_data["password"]
            )
        except ValidationError as error:
            self.add_error(None, error)
            return None
