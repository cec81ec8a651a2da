from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter

MAX_PARAMETER_LENGTH = 200
STATUSES = ("open", "closed")


def query_text(request, name: str) -> str:
    """A query parameter as clean text: trimmed, refused with a 400 when it holds a NUL (which
    PostgreSQL cannot take in a query) or is unreasonably long."""
    value = request.query_params.get(name, "").strip()
    if "\x00" in value:
        raise ValidationError({name: ["This value contains a character that is not allowed."]})
    if len(value) > MAX_PARAMETER_LENGTH:
        raise ValidationError(
            {name: [f"Ensure this value has at most {MAX_PARAMETER_LENGTH} characters."]}
        )
    return value


class PollFilter(BaseFilterBackend):
    """`status=open|closed` (by the model's own rule), `author=<username>` (ignoring case, as
    usernames are unique that way) and `search=<text>` in titles."""

    def filter_queryset(self, request, queryset, view):
        status = query_text(request, "status")
        if status == "open":
            queryset = queryset.open()
        elif status == "closed":
            queryset = queryset.closed()
        elif status:
            raise ValidationError({"status": ['Use "open" or "closed".']})
        author = query_text(request, "author")
        if author:
            queryset = queryset.filter(author__username__iexact=author)
        return queryset.search(query_text(request, "search"))

    def get_schema_operation_parameters(self, view):
        def text(name, description, **schema):
            return {
                "name": name,
                "required": False,
                "in": "query",
                "description": description,
                "schema": {"type": "string", **schema},
            }

        return [
            text("status", "Only open or only closed polls.", enum=list(STATUSES)),
            text("author", "Only this user's polls (username, any case).", maxLength=150),
            text("search", "Only polls whose title contains this text.", maxLength=200),
        ]


class PollOrdering(OrderingFilter):
    """DRF's ordering, but an unknown field is a 400 rather than silently ignored, and ties are
    broken by id so that pages never repeat or skip a poll."""

    def get_ordering(self, request, queryset, view):
        raw = query_text(request, self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        fields = [term.strip() for term in raw.split(",") if term.strip()]
        allowed = set(view.ordering_fields)
        if not fields or any(term.removeprefix("-") not in allowed for term in fields):
            names = ", ".join(view.ordering_fields)
            raise ValidationError(
                {self.ordering_param: [f"Order by {names}; a leading - reverses the order."]}
            )
        return [*fields, "-id"]

    def get_schema_operation_parameters(self, view):
        choices = [f"{sign}{name}" for name in view.ordering_fields for sign in ("", "-")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Order by creation, closing time or total votes "
                "(a leading - for descending). Default: -created_at.",
                "schema": {"type": "string", "enum": choices},
            }
        ]
