from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from polls import services
from polls.models import Poll

DEMO_POLLS = [
    ("Which language should the next workshop cover?", ["Python", "Rust", "Go", "TypeScript"], 3),
    ("Tabs or spaces?", ["Tabs", "Spaces"], 24),
    ("Best time for the team lunch?", ["12:00", "12:30", "13:00"], 72),
    ("Should the office keep a coffee machine?", ["Yes", "No", "Only decaf"], 24 * 6),
]


class Command(BaseCommand):
    help = (
        "Create a demo superuser and a few polls, if the database has no polls yet. "
        "Development only: runs with DJANGO_DEBUG=1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="votr-demo-password")
        # dev.py run passes it on every start: one Django start-up instead of two.
        parser.add_argument(
            "--migrate", action="store_true", help="Apply pending migrations first."
        )

    def handle(self, *args, username, password, migrate, **options):
        # The demo superuser's password is published (README, dev.py): never on a real site.
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates a superuser with a published password, so it only runs in "
                "development: set DJANGO_DEBUG=1."
            )
        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            self.load(username, password)

    def load(self, username, password):
        User = get_user_model()
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                email=f"{username}@example.com",
                password=password,
                is_staff=True,
                is_superuser=True,
            )
            self.stdout.write(f"Created the demo user {username!r}.")
        if Poll.objects.exists():
            return
        now = timezone.now()
        for title, labels, hours in DEMO_POLLS:
            poll = services.poll_create(
                author=user,
                title=title,
                option_labels=labels,
                closes_at=now + timedelta(hours=hours),
            )
            self.stdout.write(f"Created the demo poll {poll.title!r}.")
