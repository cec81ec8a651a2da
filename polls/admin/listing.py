"""The change list of the admin's big lists (polls, ballots): sorted only in orders an index
serves, so a page reads a page of rows however many the table holds."""

from django.contrib.admin.views.main import ORDER_VAR, ChangeList


class IndexedChangeList(ChangeList):
    """Sorts by the columns in the admin's `sortable_by` only (Django honours `?o=` for any
    column, the header merely hides the links), and breaks ties by id in the direction of the
    last column, as the API does, so that each order reads its (column, id) index: Django
    appends -pk whatever the direction."""

    def get_ordering(self, request, queryset):
        asked = self.params.get(ORDER_VAR)
        if asked:
            kept = ".".join(part for part in asked.split(".") if self._sortable(part))
            self.params = {**self.params, ORDER_VAR: kept}
        ordering = super().get_ordering(request, queryset)
        if len(ordering) > 1 and ordering[-1] == "-pk" and isinstance(ordering[-2], str):
            ordering[-1] = "-pk" if ordering[-2].startswith("-") else "pk"
        return ordering

    def _sortable(self, part: str) -> bool:
        column = part.removeprefix("-")
        if not (column.isascii() and column.isdigit()) or int(column) >= len(self.list_display):
            return False
        return self.list_display[int(column)] in self.sortable_by
