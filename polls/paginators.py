"""Paginators whose cost does not grow with the number of rows listed.

- `TwoEndedPaginator` keeps Django's exact count and page numbers (the API's `count` and
  `page=last`), and reads a page in the back half of the list from the other end, with the
  ordering reversed, so the last page costs what the first does instead of skipping every row
  before it. The queryset's ordering must be total (end with a unique column).
- `UncountedPaginator` counts nothing: a page reads one row more than it shows, to know if an
  older page follows. Pages link to newer and older pages, with no total.
"""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet

# More digits than any page number of a real list: such a page is past the end (a 404), before
# the number becomes an OFFSET the database cannot hold or a string int() refuses.
PAGE_NUMBER_MAX_DIGITS = 9


def page_number_too_long(text: str) -> bool:
    return len(text) > PAGE_NUMBER_MAX_DIGITS


class TwoEndedPaginator(Paginator):
    def validate_number(self, number):
        if page_number_too_long(str(number)):
            raise EmptyPage("That page contains no results")
        return super().validate_number(number)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if isinstance(rows, QuerySet) and rows.ordered and self.count - top < bottom:
            from_end = rows.reverse()[self.count - top : self.count - bottom]
            return self._get_page(list(from_end)[::-1], number, self)
        return self._get_page(rows[bottom:top], number, self)


class UncountedPage(Page):
    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self):
        return self._has_next


class UncountedPaginator(Paginator):
    def validate_number(self, number):
        """A whole number from 1; whether the page has rows is known once it is read."""
        text = str(number)
        if not (text.isascii() and text.isdigit()):
            raise PageNotAnInteger("That page number is not an integer")
        if page_number_too_long(text):
            raise EmptyPage("That page contains no results")
        if int(text) < 1:
            raise EmptyPage("That page number is less than 1")
        return int(text)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return UncountedPage(
            rows[: self.per_page], number, self, has_next=len(rows) > self.per_page
        )

    @property
    def count(self):
        raise TypeError("UncountedPaginator counts nothing: use page.has_next()")
