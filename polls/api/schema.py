"""The generated OpenAPI schema also lists the error responses each operation can give, all
with the Error shape, so clients (and schemathesis) know every status they may get."""

from drf_spectacular.openapi import AutoSchema

from votr_project.middleware import MAX_URL_LENGTH

ERROR_STATUSES = {
    "400": "Malformed request or invalid values (per-field messages in `errors`).",
    "401": "Not authenticated, or a bad token.",
    "403": "Not allowed to do this to that object (or a missing CSRF token).",
    "404": "No such object.",
    "409": "Refused by the state of the poll (already voted, poll closed).",
    "413": "Request body too large.",
    "414": f"Address (path and query) longer than {MAX_URL_LENGTH} characters.",
    "415": "Request body not JSON.",
    "429": "Too many requests; retry after the seconds in Retry-After.",
}


class VotrAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A minimum the services enforce rather than the field (a new password's length).
        min_length = getattr(field, "schema_min_length", None)
        if min_length is not None and direction == "request":
            schema["minLength"] = min_length
        return schema

    def _error_statuses(self) -> list[str]:
        statuses = ["400", "401", "414", "429"]
        if self.method != "GET":
            statuses.append("403")
        if "{" in self.path or (self.method == "GET" and self._is_list_view()):
            statuses.append("404")  # no such object, or a page past the last
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += ["413", "415"]
        return statuses

    def _get_response_bodies(self, direction="response"):
        from .serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status in sorted(set(self._error_statuses())):
            if status not in responses:
                response = self._get_response_for_code(ErrorSerializer, status, direction=direction)
                response["description"] = ERROR_STATUSES[status]
                responses[status] = response
        return responses
