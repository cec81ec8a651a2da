from django.urls import path

from . import views

app_name = "polls"

urlpatterns = [
    path("", views.PollListView.as_view(), name="index"),
    path("polls/new/", views.PollCreateView.as_view(), name="create"),
    path("polls/mine/", views.MyPollsView.as_view(), name="mine"),
    path("polls/labels.json", views.option_labels_json, name="labels"),
    path("polls/<str:public_id>/", views.PollDetailView.as_view(), name="detail"),
    # The title may decorate a shared link; only the public id finds the poll.
    path("polls/<str:public_id>/<slug:slug>/", views.PollDetailView.as_view(), name="detail-slug"),
    path("polls/<str:public_id>/vote", views.VoteView.as_view(), name="vote"),
    path("polls/<str:public_id>/close", views.PollCloseView.as_view(), name="close"),
    path("polls/<str:public_id>/results.json", views.poll_results_json, name="results"),
]
