"""Instructor authoring in the site's own pages: question bank, question editor with live Markdown preview,
quiz editor with ordering, GIFT download (uploads and the other formats: ``authoring_banks``). Every view here is for instructors only."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import instructor_required
from config.htmx import HtmxHttpRequest
from courses.models import Course, Lesson
from courses.rendering import render_markdown

from .. import selectors, shuffling
from ..authoring import ROWS, errors_by_field, hints_to_text, rows_from_spec, spec_data_from_post
from ..exporting import export_questions
from ..models import GRADED_QUIZ_ATTEMPTS, Question, Quiz
from ..services import (
    QUIZ_FIELDS,
    QuizError,
    SpecError,
    question_delete,
    question_duplicate,
    question_save,
    quiz_delete,
    quiz_save,
    quiz_set_questions,
)
from ..spec import FORMATS, from_dict
from ..versions import answers_to_current_version

BANK_PAGE = 25  # questions per page of the bank


@instructor_required
@require_GET
def author_home(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "quizzes/author_home.html", {"courses": Course.objects.order_by("title")})


@instructor_required
@require_GET
def bank(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    """The bank with its search form; with htmx (the form searches as one types) only the results."""
    course = get_object_or_404(Course, slug=course_slug)
    filters = {name: request.GET.get(name, "").strip()[:200] for name in ("text", "tag", "category", "kind")}
    if filters["kind"] not in Question.Kind.values:
        filters["kind"] = ""
    found = selectors.bank_search(course=course, **filters)
    page = Paginator(found, BANK_PAGE).get_page(request.GET.get("page"))
    query = urlencode({name: value for name, value in filters.items() if value})
    context = {
        "course": course,
        "page": page,
        "questions": page.object_list,
        "total": selectors.bank_size(course=course),
        "filters": filters,
        "query": query,
        **filters,
    }
    if request.htmx and request.htmx.target == "bank-results":  # not a history restore: that wants the page
        return render(request, "quizzes/_bank_results.html", context)
    context.update(
        quizzes=selectors.bank_quizzes(course=course),
        tags=selectors.bank_tags(course=course),
        categories=selectors.bank_categories(course=course),
        kinds=Question.Kind.choices,
    )
    return render(request, "quizzes/author_bank.html", context)


def _rows_with_errors(data: dict, field_errors: dict[str, list[str]]) -> list[dict]:
    # Errors name choices[i] of the posted spec, which lists the filled rows in order, as the rows do.
    rows = rows_from_spec(data)
    for index, row in enumerate(rows):
        row["errors"] = field_errors.get(f"row-{index}", [])
    return rows


@instructor_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HtmxHttpRequest, course_slug: str, question_id: int | None = None) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    question = get_object_or_404(Question, pk=question_id, course=course) if question_id else None
    lessons = Lesson.objects.filter(course=course, is_published=True).order_by("module__order", "order")
    data = question.spec if question else {"kind": request.GET.get("kind", "single")}
    field_errors: dict[str, list[str]] = {}
    general: list[str] = []
    lesson_id = str(question.lesson_id or "") if question else ""
    if request.method == "POST":
        data = spec_data_from_post(request.POST)
        lesson_id = request.POST.get("lesson", "")
        lesson = lessons.filter(pk=lesson_id).first() if lesson_id.isdigit() else None
        try:
            saved = question_save(
                course=course, spec_data=data, question=question, user=request.user, lesson=lesson
            )
        except SpecError as exc:
            field_errors, general = errors_by_field(exc.errors)
        else:
            messages.success(request, f"Saved “{saved.title}”.")
            return redirect("quizzes:author_bank", course_slug=course.slug)
    return render(
        request,
        "quizzes/question_edit.html",
        {
            "course": course,
            "question": question,
            "data": data,
            "rows": _rows_with_errors(data, field_errors),
            "row_count": ROWS,
            "lessons": lessons,
            "lesson_id": lesson_id,
            "errors": field_errors,
            "general_errors": general,
            "tags_text": ", ".join(data.get("tags", [])),
            "hints_text": hints_to_text(data.get("hints")),
            "stem_formats": FORMATS,
            "kinds": Question.Kind.choices,
            # issue 20: saving a change to an answered question starts a new version for statistics
            "answered": answers_to_current_version(question) if question else 0,
        },
        status=400 if field_errors or general else 200,
    )


@instructor_required
@require_POST
def question_duplicate_view(request: HtmxHttpRequest, course_slug: str, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, course__slug=course_slug)
    copy = question_duplicate(question=question, user=request.user)
    messages.success(request, f"Duplicated as “{copy.title}”.")
    return redirect("quizzes:question_edit", course_slug=course_slug, question_id=copy.id)


@instructor_required
@require_POST
def question_delete_view(request: HtmxHttpRequest, course_slug: str, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, course__slug=course_slug)
    try:
        question_delete(question=question)
    except QuizError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"Deleted “{question.title}”.")
    return redirect("quizzes:author_bank", course_slug=course_slug)


@instructor_required
@require_POST
def preview(request: HtmxHttpRequest) -> HttpResponse:
    """Live preview of a Markdown field (htmx): rendered and sanitized exactly as students will see it."""
    field = request.GET.get("field", "stem")
    text = request.POST.get(field, "")[:20000]
    return HttpResponse(render_markdown(text).html or '<p class="muted">Nothing to preview yet.</p>')


@instructor_required
@require_POST
def question_preview(request: HtmxHttpRequest) -> HttpResponse:
    """The question being edited as a student sees it (htmx, as the author types): the attempt page's own
    inputs template, choices in one shuffled order with pinned ones in place. Not validated: an unfinished
    question previews what it has so far."""
    data = spec_data_from_post(request.POST)
    try:
        view = from_dict(data).public_dict()
    except SpecError as exc:
        return render(request, "quizzes/_question_preview.html", {"problem": f"{exc.field}: {exc.message}"})
    if data.get("kind") in {"single", "multiple"}:
        order = shuffling.shuffled_ids(view["choices"], shuffling.seeded_rng("preview"))
        view["choices"] = shuffling.ordered(view["choices"], order)
    return render(request, "quizzes/_question_preview.html", {"view": view})


class QuizForm(forms.ModelForm):
    """Parses and shows the quiz's fields; the rules (a unique slug, a pass mark in percent, a knowledge
    check's lesson) are ``quiz_save``'s, and its refusals are shown on the field they name."""

    draw_tags_text = forms.CharField(
        required=False, label="Draw from tags", help_text="Comma-separated tags."
    )

    class Meta:
        model = Quiz
        # quiz_save's fields; draw_tags is edited as text (draw_tags_text above)
        fields = [name for name in QUIZ_FIELDS if name != "draw_tags"]
        widgets = {"due_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")}

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["lesson"].queryset = Lesson.objects.filter(course=course)
        self.fields["draw_tags_text"].initial = ", ".join(self.instance.draw_tags or [])
        if self.instance.pk is None:
            self.initial.setdefault("attempts_allowed", GRADED_QUIZ_ATTEMPTS)
        # a form posted without this choice (an older page, a script) keeps the quiz's current setting
        self.fields["review_answers"].required = False

    def clean_review_answers(self) -> str:
        return self.cleaned_data.get("review_answers") or self.instance.review_answers

    def values(self) -> dict:
        """The cleaned fields as ``quiz_save`` takes them."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        text = self.cleaned_data.get("draw_tags_text", "")
        values["draw_tags"] = [tag.strip() for tag in text.split(",") if tag.strip()]
        return values


@instructor_required
@require_http_methods(["GET", "POST"])
def quiz_edit(request: HtmxHttpRequest, course_slug: str, quiz_id: int | None = None) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    quiz = get_object_or_404(Quiz, pk=quiz_id, course=course) if quiz_id else None
    form = QuizForm(request.POST or None, instance=quiz, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            saved = quiz_save(course=course, quiz=quiz, values=form.values())
        except QuizError as refused:
            for field, message in refused.errors:
                form.add_error(field or None, message)
        else:
            messages.success(request, f"Saved quiz “{saved.title}”.")
            return redirect("quizzes:quiz_edit", course_slug=course.slug, quiz_id=saved.id)
    items = selectors.quiz_items(quiz=quiz)
    available = selectors.questions_outside(course=course, items=items)
    return render(
        request,
        "quizzes/quiz_edit.html",
        {"course": course, "quiz": quiz, "form": form, "items": items, "available": available},
        status=400 if form.errors else 200,
    )


@instructor_required
@require_POST
def quiz_reorder(request: HtmxHttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    """Move, add or remove a question: the page posts the whole new order, the server checks it."""
    quiz = get_object_or_404(Quiz, pk=quiz_id, course__slug=course_slug)
    order = list(quiz.items.order_by("order").values_list("question_id", flat=True))
    action, target = request.POST.get("action", ""), request.POST.get("question", "")
    if not target.isdigit():
        messages.error(request, "Choose a question.")
        return redirect("quizzes:quiz_edit", course_slug=course_slug, quiz_id=quiz.id)
    question_id = int(target)
    if action == "add" and question_id not in order:
        order.append(question_id)
    elif action == "remove" and question_id in order:
        order.remove(question_id)
    elif action in {"up", "down"} and question_id in order:
        index = order.index(question_id)
        swap = index - 1 if action == "up" else index + 1
        if 0 <= swap < len(order):
            order[index], order[swap] = order[swap], order[index]
    try:
        quiz_set_questions(quiz=quiz, question_ids=order)
    except QuizError as exc:
        messages.error(request, exc.message)
    return redirect("quizzes:quiz_edit", course_slug=course_slug, quiz_id=quiz.id)


@instructor_required
@require_POST
def quiz_delete_view(request: HtmxHttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    quiz = get_object_or_404(Quiz, pk=quiz_id, course__slug=course_slug)
    try:
        quiz_delete(quiz=quiz)
    except QuizError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, f"Deleted quiz “{quiz.title}”.")
    return redirect("quizzes:author_bank", course_slug=course_slug)


@instructor_required
@require_GET
def gift_download(request: HtmxHttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    quiz_id, tag = request.GET.get("quiz", ""), request.GET.get("tag", "").strip()
    quiz = get_object_or_404(Quiz, pk=int(quiz_id), course=course) if quiz_id.isdigit() else None
    questions = selectors.questions_for_export(course=course, quiz=quiz, tag=tag)
    name = quiz.slug if quiz else (f"tag-{tag}" if tag else f"{course.slug}-bank")
    response = HttpResponse(export_questions(questions), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.gift"'
    return response
