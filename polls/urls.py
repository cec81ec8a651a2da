from django.urls import path, register_converter

from . import views
from .models import PUBLIC_ID_PATTERN


class PublicIdConverter:
    regex = PUBLIC_ID_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PublicIdConverter, "public_id")

app_name = "polls"

urlpatterns = [
    path("", views.PollListView.as_view(), name="index"),
    path("polls/new/", views.PollCreateView.as_view(), name="create"),
    path("polls/mine/", views.MyPollsView.as_view(), name="mine"),
    path("polls/voted/", views.VotedPollsView.as_view(), name="voted"),
    path("polls/labels.json", views.option_labels_json, name="labels"),
    path("polls/challenge.json", views.challenge_json, name="challenge"),
    path("polls/<public_id:public_id>/", views.PollDetailView.as_view(), name="detail"),
    # The title may decorate a shared link; only the public id finds the poll.
    path(
        "polls/<public_id:public_id>/<slug:slug>/",
        views.PollDetailView.as_view(),
        name="detail-slug",
    ),
    path("polls/<public_id:public_id>/vote", views.VoteView.as_view(), name="vote"),
    path(
        "polls/<public_id:public_id>/vote/change",
        views.VoteChangeView.as_view(),
        name="vote-change",
    ),
    path(
        "polls/<public_id:public_id>/vote/retract",
        views.VoteRetractView.as_view(),
        name="vote-retract",
    ),
    path("polls/<public_id:public_id>/close", views.PollCloseView.as_view(), name="close"),
    path("polls/<public_id:public_id>/manage", views.PollManageView.as_view(), name="manage"),
    path("polls/<public_id:public_id>/edit", views.PollEditView.as_view(), name="edit"),
    path(
        "polls/<public_id:public_id>/extend",
        views.PollRescheduleView.as_view(action="extend"),
        name="extend",
    ),
    path(
        "polls/<public_id:public_id>/reopen",
        views.PollRescheduleView.as_view(action="reopen"),
        name="reopen",
    ),
    path("polls/<public_id:public_id>/delete", views.PollDeleteView.as_view(), name="delete"),
    path("polls/<public_id:public_id>/invites", views.InviteCodesView.as_view(), name="invites"),
    path(
        "polls/<public_id:public_id>/invites.csv",
        views.InviteCodesCsvView.as_view(),
        name="invites-csv",
    ),
    path(
        "polls/<public_id:public_id>/invites/print",
        views.InviteCodesSheetView.as_view(),
        name="invites-sheet",
    ),
    path("polls/<public_id:public_id>/results.json", views.poll_results_json, name="results"),
    path("polls/<public_id:public_id>/qr.svg", views.poll_qr_svg, name="qr"),
    path("polls/<public_id:public_id>/card.png", views.poll_card_png, name="card"),
    path("polls/<public_id:public_id>/results.csv", views.poll_results_csv, name="export-csv"),
    path("polls/<public_id:public_id>/export.json", views.poll_export_json, name="export-json"),
]
