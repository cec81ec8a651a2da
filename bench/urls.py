"""The reference views every figure is compared with, in front of Votr's own URLs: a plain Django
view (the ceiling: Votr's middleware, gunicorn and settings, no work), and a trivial Django REST
framework view without, then with, Votr's default authentication and throttles."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from votr_project.urls import handler500  # noqa: F401 (Django reads it from ROOT_URLCONF)
from votr_project.urls import urlpatterns as votr_urlpatterns


def ceiling(request):
    return HttpResponse(b"ok", content_type="text/plain")


class BareView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = []

    def get(self, request):
        return Response({"ok": True})


class DefaultsView(APIView):
    """REST_FRAMEWORK's default authentication, permission and throttle classes."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/ceiling/", ceiling),
    path("bench/drf/bare/", BareView.as_view()),
    path("bench/drf/defaults/", DefaultsView.as_view()),
    *votr_urlpatterns,
]
