"""The API's own pages, apart from its resources (views.py): the index of links, the schema's
documentation, and the JSON 404 for any other address under /api/."""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from .serializers import ApiIndexSerializer

# The index's links: (name, URL name).
INDEX = (
    ("schema", "schema"),
    ("docs", "docs"),
    ("polls", "poll-list"),
    ("options", "options"),
    ("token", "token"),
    ("users", "users"),
)


class IndexView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses={200: ApiIndexSerializer},
        operation_id="api_index",
        summary="API index",
        description="Where the schema, its documentation and the API's collections are.",
    )
    def get(self, request):
        links = {name: reverse(f"api:{url_name}", request=request) for name, url_name in INDEX}
        return Response(ApiIndexSerializer(links).data)


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from our own static files, its start-up script served as a file too, so it
    runs under the site's Content-Security-Policy."""

    template_name = "api/swagger_ui.html"


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
def not_found(request, path=""):
    raise NotFound("There is no API endpoint at this address (API paths end with a slash).")
