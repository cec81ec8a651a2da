"""The list's query parameters, as a django-filter FilterSet (drf-spectacular documents it from
the filters; the limits it publishes are the ones the fields enforce). Every invalid value is a
400 in the API's error shape, naming the parameter."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Subquery, Value
from django.db.models.functions import Lower
from django_filters import fields as filter_fields
from drf_spectacular.utils import extend_schema_field

from polls.models import PUBLIC_BALLOT_COUNT, Poll, User
from polls.search import SEARCH_MAX_LENGTH, SearchTextRefused, search_text

USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length
ORDERING_FIELDS = ("created_at", "closes_at", "total_votes")
# Sorted, as drf-spectacular publishes enums, so that ORDERING_NAMES pair with the values.
ORDERINGS = sorted(f"{sign}{name}" for name in ORDERING_FIELDS for sign in ("", "-"))
# Names for generated clients (openapi-python-client, OpenAPI Generator): "-created_at" is
# otherwise VALUE_1.
ORDERING_NAMES = [
    f"{name.upper()}_DESC" if value.startswith("-") else name.upper()
    for value in ORDERINGS
    for name in [value.removeprefix("-")]
]
DEFAULT_ORDERING = ("-created_at", "-id")
ORDERING_REFUSED = f"Order by {', '.join(ORDERING_FIELDS)}; a leading - reverses the order."


class SearchTextField(forms.Field):
    """polls.search's rule as a form field: the same text, or its message, as the pages get."""

    def to_python(self, value):
        try:
            return search_text(value or "")
        except SearchTextRefused as refused:
            raise forms.ValidationError(refused.message, code="invalid") from None


class TrimmedChoiceField(filter_fields.ChoiceField):
    def to_python(self, value):
        return super().to_python(value).strip()


class SearchFilter(django_filters.CharFilter):
    field_class = SearchTextField


class StatusFilter(django_filters.ChoiceFilter):
    field_class = TrimmedChoiceField


class PollOrdering(django_filters.OrderingFilter):
    """Ties are broken by id, in the direction of the last ordering, so that pages never repeat
    or skip a poll and each ordering reads one of the poll's (column, id) indexes. Total votes
    order by the count everyone may see (PUBLIC_BALLOT_COUNT, -1 where results are hidden from
    anyone), the same for every caller, so that the order says nothing a count would not."""

    def get_ordering_value(self, param):
        if param.removeprefix("-") == "total_votes":
            return (
                PUBLIC_BALLOT_COUNT.desc() if param.startswith("-") else PUBLIC_BALLOT_COUNT.asc()
            )
        return super().get_ordering_value(param)

    def filter(self, qs, value):
        if not value:
            return qs
        if not all(value):  # "ordering=," or a trailing comma: the choice field lets "" through
            raise ValidationError({self.field_name: [ORDERING_REFUSED]})
        tie_break = "-id" if value[-1].startswith("-") else "id"
        return qs.order_by(*[self.get_ordering_value(param) for param in value], tie_break)


def documented(filter_, **schema):
    """`filter_`, published with this schema and its help text (drf-spectacular drops the help
    text of a filter whose schema is given)."""
    return extend_schema_field({**schema, "description": filter_.extra["help_text"]})(filter_)


class PollFilterSet(django_filters.FilterSet):
    status = StatusFilter(
        choices=[("open", "Open polls"), ("closed", "Closed polls")],
        method="filter_status",
        help_text="Only open or only closed polls (by the closing time, even before the close "
        "is recorded).",
        error_messages={"invalid_choice": 'Use "open" or "closed".'},
    )
    author = documented(
        django_filters.CharFilter(
            method="filter_author",
            max_length=USERNAME_MAX_LENGTH,
            help_text="Only this user's polls (username, any case).",
        ),
        type="string",
        maxLength=USERNAME_MAX_LENGTH,
    )
    search = documented(
        SearchFilter(
            method="filter_search",
            help_text="Only polls whose title contains this text (any case).",
        ),
        type="string",
        maxLength=SEARCH_MAX_LENGTH,
    )
    ordering = documented(
        PollOrdering(
            fields={
                "created_at": "created_at",
                "closes_at": "closes_at",
                "ballot_count": "total_votes",
            },
            help_text="Order by creation, closing time or total votes, a leading - for descending; "
            "several, comma-separated, in turn. Default: -created_at. Total votes order by the "
            "counts shown to everyone: a poll whose results are hidden from anyone (until a "
            "vote or the close, or for good) sorts as -1 votes, whoever asks.",
            error_messages={"invalid_choice": ORDERING_REFUSED},
        ),
        type="string",
        enum=ORDERINGS,
        **{"x-enum-varnames": ORDERING_NAMES},
    )

    class Meta:
        model = Poll
        fields = ["status", "author", "search", "ordering"]

    def filter_queryset(self, queryset):
        """Listed polls only, except in a caller's own list (`author=` naming the caller), which
        holds their unlisted polls too, as My polls does."""
        polls = super().filter_queryset(queryset)
        return polls if self._lists_own_polls() else polls.listed()

    def _lists_own_polls(self) -> bool:
        caller = getattr(self.request, "user", None)
        author = self.form.cleaned_data.get("author")
        return bool(author and caller and caller.is_authenticated) and (
            author.lower() == caller.username.lower()
        )

    def filter_status(self, queryset, name, value):
        return queryset.open() if value == "open" else queryset.closed()

    def filter_author(self, queryset, name, value):
        if self._lists_own_polls():
            return queryset.filter(author=self.request.user)
        # Usernames are unique by their lower case: that index finds the author once (a scalar
        # subquery, NULL for nobody), and poll_author_created_idx lists their polls in order.
        author = User.objects.alias(key=Lower("username")).filter(key=Lower(Value(value)))
        return queryset.filter(author=Subquery(author.values("pk")[:1]))

    def filter_search(self, queryset, name, value):
        return queryset.search(value)
