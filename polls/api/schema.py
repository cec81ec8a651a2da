"""The generated OpenAPI schema also lists the error responses each operation can give, all
with the Error shape, so clients (and schemathesis) know every status they may get, and the
headers that go with them (Location on a 201, Retry-After on a 429 or 503)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
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
    "503": "The database is unavailable for a moment; retry after the seconds in Retry-After.",
}
RESPONSE_HEADERS = {
    "201": {
        "Location": {
            "description": "The address of the poll.",
            "schema": {"type": "string", "format": "uri"},
        }
    },
    **{
        status: {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
        for status in ("429", "503")
    },
}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "polls.api.authentication.TokenAuthentication"
    name = "tokenAuth"
    priority = 1  # over drf-spectacular's own, for DRF's TokenAuthentication

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The value is `Token <key>`: the word Token, a space and the key "
            "from POST /api/auth/token/ (for example `Token 9944b09199c62bcf9418ad846dd0e4bb"
            "dfc6ee4b`).",
        }


class VotrAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A minimum the services enforce rather than the field (a new password's length).
        min_length = getattr(field, "schema_min_length", None)
        if min_length is not None and direction == "request":
            schema["minLength"] = min_length
        return schema

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        # Every field of a PATCH is optional, the body is not (PollViewSet.partial_update).
        if body is not None and self.method == "PATCH":
            body["required"] = True
        return body

    def _error_statuses(self) -> list[str]:
        statuses = ["400", "401", "414", "429", "503"]
        if self.method != "GET":
            statuses.append("403")
        if "{" in self.path or (self.method == "GET" and self._is_list_view()):
            statuses.append("404")  # no such object, or a page past the last
        if self.method in ("POST", "PUT", "PATCH"):
            statuses += ["413", "415"]
        return statuses

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        headers = RESPONSE_HEADERS.get(str(status_code))
        if headers:
            response["headers"] = {**response.get("headers", {}), **headers}
        return response

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
