from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from polls.paginators import TwoEndedPaginator, page_number_too_long


class PollPagination(PageNumberPagination):
    """`count`, `next`, `previous`, `results`; `?page=`, and `?page_size=` up to 100. A page
    that is not a number from 1, or a page size not from 1 to 100, is a 400 (the limits the
    schema publishes); a page past the last one, a 404. The count is exact and cheap for the
    whole list (Poll.objects.count() reads the database's own counter), and a page near the end
    is read from the end (TwoEndedPaginator)."""

    django_paginator_class = TwoEndedPaginator

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_number(self, request, paginator):
        number = super().get_page_number(request, paginator)
        if number in self.last_page_strings:
            return number
        if not (str(number).isascii() and str(number).isdigit()):
            raise ValidationError({self.page_query_param: ["Use a page number from 1."]})
        if page_number_too_long(str(number)):
            raise NotFound("Invalid page.")
        if int(number) < 1:
            raise ValidationError({self.page_query_param: ["Use a page number from 1."]})
        return number

    def get_page_size(self, request):
        size = request.query_params.get(self.page_size_query_param)
        if size is None:
            return self.page_size
        well_formed = size.isascii() and size.isdigit() and len(size) <= 3
        if not well_formed or not 1 <= int(size) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"Use a page size from 1 to {self.max_page_size}."]}
            )
        return int(size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        limits = {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        }
        for parameter in parameters:
            parameter["schema"].update(limits.get(parameter["name"], {}))
        return parameters
