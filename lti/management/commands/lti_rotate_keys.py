from django.core.management.base import BaseCommand

from lti import keys


class Command(BaseCommand):
    help = "Make a new LTI signing key; older keys stay published for LTI_KEY_GRACE_DAYS, then are removed."

    def handle(self, *args, **options):
        key = keys.rotate()
        purged = keys.purge_retired()
        self.stdout.write(f"New signing key {key.kid}; {purged} expired key(s) removed.")
