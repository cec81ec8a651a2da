from django.views import generic

from .models import Poll


class PollListView(generic.ListView):
    template_name = "polls/index.html"

    def get_queryset(self):
        return Poll.objects.open().with_results()


class PollDetailView(generic.DetailView):
    template_name = "polls/detail.html"
    slug_field = slug_url_kwarg = "public_id"

    def get_queryset(self):
        return Poll.objects.with_results()
