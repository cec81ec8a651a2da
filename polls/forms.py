from django import forms
from django.core.exceptions import ValidationError

from . import services


class SignUpForm(forms.Form):
    username = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def save(self):
        """Create the account through the domain rule; its errors land on the fields."""
        try:
            return services.user_create(**self.cleaned_data)
        except ValidationError as error:
            self.add_error(None, error)
            return None
