"""Counts in the admin follow the one visibility rule (polls.services.visibility): holders of
polls.view_results (superusers among them) see every count; other staff see those the rule
shows them (public ones, their own polls') and "hidden" elsewhere. The admin does not read the
staff member's own ballots, so a count shown to voters only counts as hidden here."""

from django.contrib import admin
from django.utils.text import capfirst

from .. import services
from ..models import Choice, Poll

HIDDEN = "hidden"


def results_shown(obj) -> bool:
    """Whether the object's counts may be shown (marked by ShowsResultsByRule; unmarked: no)."""
    return getattr(obj, "results_shown", False)


class ShowsResultsByRule(admin.ModelAdmin):
    """Marks each listed object, and the object of a change page, with `results_shown` for the
    request's user, so that display methods (which get no request) can ask results_shown()."""

    def results_poll(self, obj) -> Poll:
        """The poll whose results `obj` shows."""
        return obj

    def _mark(self, obj, request) -> None:
        obj.results_shown = services.results_visible(
            poll=self.results_poll(obj), viewer=request.user, voted=False
        )

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        for obj in changelist.result_list:
            self._mark(obj, request)
        return changelist

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            self._mark(obj, request)
        return obj


def without_choices(deleted: list) -> list:
    """A delete confirmation's nested list of objects without the choices of ballots (each
    shown under its ballot, so next to its voter): secret ballots are secret from staff too.
    The counts above the list still say how many choices go."""
    prefix = f"{capfirst(Choice._meta.verbose_name)}: "
    kept = []
    for item in deleted:
        if isinstance(item, list):
            item = without_choices(item)
            if item:
                kept.append(item)
        elif not str(item).startswith(prefix):
            kept.append(item)
    return kept
