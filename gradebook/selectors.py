"""The gradebook of a course: one row per student, one column per lab and per graded quiz.

Per lab: the best and the latest score of the student's submissions (kind submit; "Run checks" never
counts), whether each came after the lab's deadline, how many submissions they made and whether one is
being graded. A submission's score is the one that counts (Submission.final_score): the instructor's
adjustment where there is one, else the automatic score. Per graded quiz: the best submitted attempt, in percent. A re-graded submission keeps its
previous score until the new one arrives, so the table does not flicker while a re-grade runs.

The course total (``StudentRow.total``): each lab counts its points (the best score, late or not: the
late marker is beside it for the instructor to weigh); each graded quiz counts
``settings.GRADEBOOK_QUIZ_POINTS`` points (10 by default), scaled from its best percent. An item not
attempted counts 0. The total is shown as points and as a percent of the points possible.

Two CSV layouts: ``csv_rows`` (the detailed table: best, late, latest, late, submissions per lab) and
``moodle_csv_rows``, laid out for Moodle's "Import grades from CSV" (one row per student with a column
that identifies the user, then one numeric column per grade item: see moodle_csv_rows).

Reads only: rows are built for a given list of students (a page of the table, or a chunk of the CSV), in
three queries per list whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Q, QuerySet

from accounts.roles import INSTRUCTORS
from courses.models import Course, Enrollment
from courses.spreadsheet import spreadsheet_safe
from labs.models import Lab, Submission
from quizzes.models import Attempt, Quiz

__all__ = [
    "Gradebook",
    "LabCell",
    "StudentRow",
    "csv_rows",
    "gradebook_for",
    "moodle_csv_rows",
    "quiz_points",
    "spreadsheet_safe",
]

CSV_CHUNK = 500  # students per round of queries when exporting


@dataclass
class LabCell:
    """One student's standing on one lab. Scores are None until a submission has been graded."""

    best: int | None = None
    best_max: int | None = None
    best_id: int | None = None
    best_late: bool = False
    best_adjusted: bool = False  # the score is an instructor's adjustment (Submission.adjusted_score)
    latest: int | None = None
    latest_max: int | None = None
    latest_id: int | None = None
    latest_late: bool = False
    latest_adjusted: bool = False
    submissions: int = 0
    pending: int = 0
    lab: Lab | None = None


def quiz_points() -> int:
    """What one graded quiz weighs in the course total, in points (settings.GRADEBOOK_QUIZ_POINTS)."""
    return int(getattr(settings, "GRADEBOOK_QUIZ_POINTS", 10))


@dataclass
class StudentRow:
    user: object
    labs: list[LabCell] = field(default_factory=list)
    quizzes: list[float | None] = field(default_factory=list)
    possible: int = 0  # the points the course total is out of (Gradebook.total_possible)

    @property
    def percent(self) -> float | None:
        """The course total in percent of the points possible; None when nothing can be earned."""
        return round(100 * self.total / self.possible, 1) if self.possible else None

    @property
    def total(self) -> float | int:
        """Points earned toward the course total (see the module's docstring for the weighting)."""
        labs = sum(cell.best or 0 for cell in self.labs)
        quizzes = sum((score or 0) * quiz_points() / 100 for score in self.quizzes)
        total = round(labs + quizzes, 2)
        return int(total) if total.is_integer() else total  # "10", not "10.0", in the CSV


@dataclass
class Gradebook:
    course: Course
    labs: list[Lab]
    quizzes: list[Quiz]

    @property
    def total_possible(self) -> int:
        """The points the course total is out of: every lab's points plus each quiz's weight."""
        return sum(lab.points for lab in self.labs) + quiz_points() * len(self.quizzes)

    def students(self, search: str = "") -> QuerySet:
        """Everyone who is enrolled in the course or has submitted one of its labs or quizzes, instructors
        excluded, by username. ``search`` keeps usernames that contain it."""
        users = get_user_model().objects.filter(
            Q(pk__in=Enrollment.objects.filter(course=self.course).values("user_id"))
            | Q(pk__in=Submission.objects.filter(lab__in=self.labs).values("user_id"))
            | Q(pk__in=Attempt.objects.filter(quiz__in=self.quizzes).values("user_id"))
        )
        users = users.exclude(is_superuser=True).exclude(groups__name=INSTRUCTORS)
        if search:
            users = users.filter(username__icontains=search)
        return users.order_by("username")

    def rows(self, users: Iterable) -> list[StudentRow]:
        """The table's rows for ``users``, in their order."""
        users = list(users)
        ids = [user.pk for user in users]
        cells = self._lab_cells(ids)
        possible = self.total_possible
        best_quiz = {
            (row["user_id"], row["quiz_id"]): row["best"]
            for row in Attempt.objects.filter(
                quiz__in=self.quizzes, user_id__in=ids, submitted_at__isnull=False
            )
            .values("user_id", "quiz_id")
            .annotate(best=Max("score"))
        }
        return [
            StudentRow(
                user=user,
                labs=[cells.get((user.pk, lab.pk)) or LabCell(lab=lab) for lab in self.labs],
                quizzes=[best_quiz.get((user.pk, quiz.pk)) for quiz in self.quizzes],
                possible=possible,
            )
            for user in users
        ]

    def _lab_cells(self, user_ids: list[int]) -> dict[tuple[int, int], LabCell]:
        labs = {lab.pk: lab for lab in self.labs}
        cells: dict[tuple[int, int], LabCell] = {}
        rows = (
            Submission.objects.filter(lab__in=self.labs, user_id__in=user_ids, kind=Submission.Kind.SUBMIT)
            # "Could not be graded" is not an attempt (the student was told to submit again).
            .exclude(status=Submission.Status.INFRA_ERROR)
            .order_by("created_at", "id")
            .values_list(
                "id", "user_id", "lab_id", "status", "score", "adjusted_score", "max_score", "created_at"
            )
        )
        for pk, user_id, lab_id, status, score, adjusted, max_score, created_at in rows:
            if adjusted is not None:  # the instructor's adjustment counts (Submission.final_score)
                score = adjusted
            cell = cells.setdefault((user_id, lab_id), LabCell(lab=labs[lab_id]))
            cell.submissions += 1
            if status in (Submission.Status.QUEUED, Submission.Status.RUNNING):
                cell.pending += 1
            if score is None:  # not graded yet (a re-grade keeps its previous score until the new one)
                continue
            deadline = labs[lab_id].deadline
            late = deadline is not None and created_at > deadline  # the rule of Submission.is_late
            # Oldest first, so a tie keeps the earlier submission: an on-time best is not made late by
            # the same score again after the deadline.
            if cell.best is None or score > cell.best:
                cell.best, cell.best_max, cell.best_id, cell.best_late = score, max_score, pk, late
                cell.best_adjusted = adjusted is not None
            cell.latest, cell.latest_max, cell.latest_id, cell.latest_late = score, max_score, pk, late
            cell.latest_adjusted = adjusted is not None
        return cells

    def header(self) -> list[str]:
        """The CSV header: who, then five columns per lab and one per quiz."""
        columns = ["username", "name", "email"]
        for lab in self.labs:
            columns += [
                f"{lab.title}: best (of {lab.points})",
                f"{lab.title}: best late",
                f"{lab.title}: latest",
                f"{lab.title}: latest late",
                f"{lab.title}: submissions",
            ]
        columns += [f"{quiz.title}: best %" for quiz in self.quizzes]
        columns += [f"course total (of {self.total_possible})", "course total %"]
        return columns


def gradebook_for(course: Course) -> Gradebook:
    """The course's published labs (through their lesson) and published graded quizzes, in course order."""
    labs = list(
        Lab.objects.filter(lesson__course=course, is_published=True).order_by(
            "lesson__module__order", "lesson__order", "order", "slug"
        )
    )
    quizzes = list(
        Quiz.objects.filter(course=course, kind=Quiz.Kind.QUIZ, is_published=True).order_by("title")
    )
    return Gradebook(course=course, labs=labs, quizzes=quizzes)


def _all_rows(gradebook: Gradebook, search: str) -> Iterator[StudentRow]:
    """Every student's row, a chunk of students per round of queries so memory stays flat."""
    students = gradebook.students(search)
    last_username = None
    while True:
        # Keyset pagination on the (unique) username: no OFFSET that grows with the cohort.
        chunk = students.filter(username__gt=last_username) if last_username is not None else students
        users = list(chunk[:CSV_CHUNK])
        if not users:
            return
        yield from gradebook.rows(users)
        last_username = users[-1].username


def csv_rows(gradebook: Gradebook, search: str = "") -> Iterator[list]:
    """The header, then one list per student: the same table as the page (and the course total), every
    student."""
    yield [spreadsheet_safe(column) for column in gradebook.header()]
    for row in _all_rows(gradebook, search):
        user = row.user
        cells: list = [user.username, user.get_full_name(), user.email]
        for cell in row.labs:
            cells += [
                _blank(cell.best),
                "yes" if cell.best_late else "",
                _blank(cell.latest),
                "yes" if cell.latest_late else "",
                cell.submissions,
            ]
        cells += ["" if score is None else round(score, 1) for score in row.quizzes]
        cells += [row.total, _blank(row.percent)]
        yield [spreadsheet_safe(value) for value in cells]


def moodle_csv_rows(gradebook: Gradebook, search: str = "") -> Iterator[list]:
    """The grades laid out for Moodle's "Import grades from CSV"
    (https://docs.moodle.org/311/en/Grade_import): one row per student; "Email address" and "Username"
    to map the user by (Moodle's "Identify user by": Email address → useremail, or username); then one
    column per grade item, holding a plain number (a lab's best score in points, a quiz's best attempt
    in percent) or nothing where there is no grade yet. Each item column is mapped to a Moodle grade
    item (or a new one) in the import's preview. No course total: Moodle computes its own, and a
    column of derived values would only be one more to ignore. Moodle matches e-mail addresses case
    sensitively, so they are written as stored."""
    items = [f"{lab.title} (lab, out of {lab.points})" for lab in gradebook.labs]
    items += [f"{quiz.title} (quiz, percent)" for quiz in gradebook.quizzes]
    yield [
        spreadsheet_safe(column)
        for column in ["Email address", "Username", "First name", "Last name"] + items
    ]
    for row in _all_rows(gradebook, search):
        user = row.user
        cells: list = [user.email, user.username, user.first_name, user.last_name]
        cells += [_blank(cell.best) for cell in row.labs]
        cells += ["" if score is None else round(score, 2) for score in row.quizzes]
        yield [spreadsheet_safe(value) for value in cells]


def _blank(value):
    return "" if value is None else value
