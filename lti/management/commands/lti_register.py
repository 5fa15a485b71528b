"""manage.py lti_register --issuer URL --client-id ID --deployment-id ID --auth-login-url URL
--auth-token-url URL --keyset-url URL [--course SLUG]: register (or update) an LMS by hand."""

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course
from lti.services import RegistrationError, platform_register


class Command(BaseCommand):
    help = "Register an LTI 1.3 platform (LMS) by hand. Running it again updates the registration."

    def add_arguments(self, parser):
        parser.add_argument("--issuer", required=True)
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--deployment-id", required=True, action="append", help="may be repeated")
        parser.add_argument("--auth-login-url", required=True)
        parser.add_argument("--auth-token-url", required=True)
        parser.add_argument("--keyset-url", required=True)
        parser.add_argument("--auth-audience", default="")
        parser.add_argument("--title", default="")
        parser.add_argument("--course", help="slug of the course that new LMS courses are linked to")

    def handle(self, *args, **options):
        course = None
        if options["course"]:
            course = Course.objects.filter(slug=options["course"]).first()
            if course is None:
                raise CommandError(f"--course: no course with slug {options['course']!r}")
        try:
            platform = platform_register(
                issuer=options["issuer"],
                client_id=options["client_id"],
                deployment_ids=options["deployment_id"],
                auth_login_url=options["auth_login_url"],
                auth_token_url=options["auth_token_url"],
                keyset_url=options["keyset_url"],
                auth_audience=options["auth_audience"],
                title=options["title"],
                course=course,
                registered_by="command",
            )
        except RegistrationError as error:
            raise CommandError(str(error)) from error
        deployments = ", ".join(platform.deployments.values_list("deployment_id", flat=True))
        self.stdout.write(
            f"Registered {platform.issuer} client {platform.client_id} (deployments: {deployments})."
        )
