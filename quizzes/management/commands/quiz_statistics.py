import json

from django.core.management.base import BaseCommand, CommandError

from quizzes.item_analysis import quiz_item_analysis
from quizzes.models import Quiz


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


class Command(BaseCommand):
    help = (
        "Item analysis of a quiz (first attempts unless --all-attempts): facility, discrimination and n per "
        "question (each version of an edited question apart), Cronbach's alpha per quiz."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quiz", required=True, help="Quiz slug.")
        parser.add_argument("--course", help="Course slug, when the quiz slug is not unique.")
        parser.add_argument("--all-attempts", action="store_true", help="Every submitted attempt.")
        parser.add_argument("--json", action="store_true", help="Print JSON (null where undefined).")

    def handle(self, *args, quiz, course=None, all_attempts=False, json=False, **options):
        quizzes = Quiz.objects.filter(slug=quiz, **({"course__slug": course} if course else {}))
        if quizzes.count() != 1:
            raise CommandError(
                f"No quiz {quiz!r}." if not quizzes else "Several quizzes match; add --course."
            )
        report = quiz_item_analysis(quiz=quizzes.get(), all_attempts=all_attempts)
        if json:
            self.stdout.write(_dumps(report.as_json()))
            return
        self.stdout.write(
            f"{report.quiz.slug}: {report.attempts} attempt(s), "
            f"Cronbach's alpha {_number(report.cronbach_alpha)}"
        )
        for row in report.questions:
            flags = f"  [{'; '.join(row.flags)}]" if row.flags else ""
            self.stdout.write(
                f"  {row.question_id} v{row.version} {row.title[:50]!r}: n={row.n} "
                f"facility={_number(row.facility)} discrimination={_number(row.discrimination)}{flags}"
            )


def _dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False)
