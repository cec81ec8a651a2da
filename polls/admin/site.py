"""The admin site's titles and what every model's admin shares: putting a service's messages on
a form, and turning a service's refusal at save time into a message instead of an error page."""

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.http import HttpResponseRedirect

from .. import services

admin.site.site_header = "Votr administration"
admin.site.site_title = "Votr admin"
admin.site.index_title = "Run Votr"


def add_service_errors(form: forms.BaseForm, errors: dict[str, list[str]]) -> None:
    """Put a check's per-field messages on the form's fields, the rest at the top."""
    for field, messages_ in errors.items():
        form.add_error(field if field in form.fields else NON_FIELD_ERRORS, messages_)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class SaveRefused(Exception):
    """A service refused, at save time, what its form had validated: something changed in
    between (a vote came in, a name was taken, a permission went)."""


@contextmanager
def refusal_on_save() -> Iterator[None]:
    try:
        yield
    except ValidationError as error:
        raise SaveRefused(" ".join(error.messages)) from error
    except services.NotAllowed as refusal:
        raise SaveRefused(refusal.message) from refusal


def adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved `obj` the row a service created, so that the admin's history,
    audit entry and redirect name it."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


class SavesThroughServices(admin.ModelAdmin):
    """An add or change form whose service refuses at save time shows the refusal on the same
    page, with nothing saved (the admin's transaction rolls back what the page had written)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except SaveRefused as refusal:
            self.message_user(request, f"Nothing was saved: {refusal}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
