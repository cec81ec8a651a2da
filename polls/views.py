from django.contrib import messages
from django.contrib.auth import login
from django.shortcuts import redirect
from django.views import generic

from .forms import SignUpForm
from .models import Poll


class PollListView(generic.ListView):
    template_name = "polls/index.html"
    context_object_name = "polls"

    def get_queryset(self):
        return Poll.objects.open().with_results()


class PollDetailView(generic.DetailView):
    template_name = "polls/detail.html"
    slug_field = slug_url_kwarg = "public_id"

    def get_queryset(self):
        return Poll.objects.with_results()


class SignUpView(generic.FormView):
    template_name = "registration/signup.html"
    form_class = SignUpForm

    def form_valid(self, form):
        user = form.save()
        if user is None:
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, f"Welcome to Votr, {user.username}!")
        return redirect("polls:index")
