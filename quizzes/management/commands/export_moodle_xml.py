from django.core.management.base import BaseCommand, CommandError

from quizzes.exporting import export_moodle_xml
from quizzes.models import Question, Quiz


def chosen_questions(*, quiz: str | None, tag: str | None, course: str | None) -> list[Question]:
    """The questions of one quiz (in order) or every question with a tag; CommandError otherwise."""
    if bool(quiz) == bool(tag):
        raise CommandError("Give exactly one of --quiz SLUG or --tag TAG.")
    if quiz:
        quizzes = Quiz.objects.filter(slug=quiz, **({"course__slug": course} if course else {}))
        if quizzes.count() != 1:
            raise CommandError(
                f"No quiz {quiz!r}." if not quizzes else "Several quizzes match; add --course."
            )
        return [item.question for item in quizzes.get().items.select_related("question").order_by("order")]
    candidates = Question.objects.filter(**({"course__slug": course} if course else {})).order_by("id")
    questions = [question for question in candidates if tag in question.tags]
    if not questions:
        raise CommandError(f"No question has the tag {tag!r}.")
    return questions


class Command(BaseCommand):
    help = "Export a quiz (or every question with a tag) as Moodle XML, images embedded, on standard output."

    def add_arguments(self, parser):
        parser.add_argument("--quiz", help="Quiz slug.")
        parser.add_argument("--tag", help="Export every question with this tag instead.")
        parser.add_argument("--course", help="Course slug, when the quiz slug is not unique.")

    def handle(self, *args, quiz=None, tag=None, course=None, **options):
        questions = chosen_questions(quiz=quiz, tag=tag, course=course)
        self.stdout.write(export_moodle_xml(questions).decode("utf-8"), ending="")
