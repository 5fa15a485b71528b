"""Instructor authoring in the site's own pages: question bank, question editor with live Markdown preview,
quiz editor with ordering, GIFT upload and download. Every view here is for instructors only."""

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import instructor_required
from courses.models import Course, Lesson
from courses.rendering import render_markdown
from courses.services import course_content_changed

from ..authoring import ROWS, errors_by_field, rows_from_spec, spec_data_from_post
from ..exporting import export_questions
from ..gift import GiftError
from ..models import AttemptAnswer, CheckAnswer, PollResponse, Question, Quiz
from ..services import (
    QuizError,
    SpecError,
    gift_import,
    question_duplicate,
    question_save,
    quiz_set_questions,
)
from ..versions import answers_to_current_version

MAX_GIFT_UPLOAD_BYTES = 1024 * 1024


@instructor_required
@require_GET
def author_home(request: HttpRequest) -> HttpResponse:
    return render(request, "quizzes/author_home.html", {"courses": Course.objects.order_by("title")})


@instructor_required
@require_GET
def bank(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    tag = request.GET.get("tag", "").strip()
    questions = list(
        Question.objects.filter(course=course)
        .select_related("lesson")
        .annotate(uses=Count("items"))
        .order_by("title")
    )
    if tag:
        questions = [question for question in questions if tag in question.tags]
    quizzes = Quiz.objects.filter(course=course).annotate(size=Count("items")).order_by("kind", "title")
    tags = sorted({tag for question in Question.objects.filter(course=course) for tag in question.tags})
    return render(
        request,
        "quizzes/author_bank.html",
        {"course": course, "questions": questions, "quizzes": quizzes, "tags": tags, "tag": tag},
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, course_slug: str, question_id: int | None = None) -> HttpResponse:
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
            "rows": rows_from_spec(data),
            "row_count": ROWS,
            "lessons": lessons,
            "lesson_id": lesson_id,
            "errors": field_errors,
            "general_errors": general,
            "tags_text": ", ".join(data.get("tags", [])),
            "kinds": Question.Kind.choices,
            # issue 20: saving a change to an answered question starts a new version for statistics
            "answered": answers_to_current_version(question) if question else 0,
        },
        status=400 if field_errors or general else 200,
    )


@instructor_required
@require_POST
def question_duplicate_view(request: HttpRequest, course_slug: str, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, course__slug=course_slug)
    copy = question_duplicate(question=question, user=request.user)
    messages.success(request, f"Duplicated as “{copy.title}”.")
    return redirect("quizzes:question_edit", course_slug=course_slug, question_id=copy.id)


@instructor_required
@require_POST
def question_delete_view(request: HttpRequest, course_slug: str, question_id: int) -> HttpResponse:
    question = get_object_or_404(Question, pk=question_id, course__slug=course_slug)
    answered = (
        AttemptAnswer.objects.filter(question=question).exists()
        or CheckAnswer.objects.filter(question=question).exists()
        or PollResponse.objects.filter(question=question).exists()
    )
    if answered:
        messages.error(
            request,
            f"“{question.title}” has students' answers and was kept; remove it from its quizzes "
            "instead, or duplicate it to make a new version.",
        )
    else:
        question.delete()
        course_content_changed(course_id=question.course_id)
        messages.success(request, f"Deleted “{question.title}”.")
    return redirect("quizzes:author_bank", course_slug=course_slug)


@instructor_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """Live preview of a Markdown field (htmx): rendered and sanitized exactly as students will see it."""
    field = request.GET.get("field", "stem")
    text = request.POST.get(field, "")[:20000]
    return HttpResponse(render_markdown(text).html or '<p class="muted">Nothing to preview yet.</p>')


class QuizForm(forms.ModelForm):
    draw_tags_text = forms.CharField(
        required=False, label="Draw from tags", help_text="Comma-separated tags."
    )

    class Meta:
        model = Quiz
        fields = [
            "title",
            "slug",
            "kind",
            "lesson",
            "description",
            "attempts_allowed",
            "shuffle_questions",
            "shuffle_choices",
            "time_limit_s",
            "pass_mark",
            "draw_count",
            "is_published",
        ]

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        self.fields["lesson"].queryset = Lesson.objects.filter(course=course)
        self.fields["draw_tags_text"].initial = ", ".join(self.instance.draw_tags or [])

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        clash = Quiz.objects.filter(course=self.course, slug=slug).exclude(pk=self.instance.pk).exists()
        if clash:
            raise forms.ValidationError("Another quiz of this course has this slug.")
        return slug

    def clean_pass_mark(self):
        value = self.cleaned_data["pass_mark"]
        if value > 100:
            raise forms.ValidationError("The pass mark is a percentage (0 to 100).")
        return value

    def clean(self):
        data = super().clean()
        if data.get("kind") == Quiz.Kind.CHECK and not data.get("lesson"):
            self.add_error("lesson", "A knowledge check belongs to a lesson.")
        return data

    def save(self, commit=True):
        self.instance.course = self.course
        self.instance.draw_tags = [
            t.strip() for t in self.cleaned_data.get("draw_tags_text", "").split(",") if t.strip()
        ]
        return super().save(commit)


@instructor_required
@require_http_methods(["GET", "POST"])
def quiz_edit(request: HttpRequest, course_slug: str, quiz_id: int | None = None) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    quiz = get_object_or_404(Quiz, pk=quiz_id, course=course) if quiz_id else None
    form = QuizForm(request.POST or None, instance=quiz, course=course)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        course_content_changed(course_id=course.id)
        messages.success(request, f"Saved quiz “{saved.title}”.")
        return redirect("quizzes:quiz_edit", course_slug=course.slug, quiz_id=saved.id)
    items = list(quiz.items.select_related("question").order_by("order")) if quiz else []
    used = {item.question_id for item in items}
    available = Question.objects.filter(course=course).exclude(id__in=used).order_by("title")
    return render(
        request,
        "quizzes/quiz_edit.html",
        {"course": course, "quiz": quiz, "form": form, "items": items, "available": available},
        status=400 if form.errors else 200,
    )


@instructor_required
@require_POST
def quiz_reorder(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
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
def quiz_delete_view(request: HttpRequest, course_slug: str, quiz_id: int) -> HttpResponse:
    quiz = get_object_or_404(Quiz, pk=quiz_id, course__slug=course_slug)
    if quiz.attempts.exists() or quiz.check_answers.exists():
        messages.error(request, f"“{quiz.title}” has students' attempts and was kept; unpublish it instead.")
    else:
        quiz.delete()
        course_content_changed(course_id=quiz.course_id)
        messages.success(request, f"Deleted quiz “{quiz.title}”.")
    return redirect("quizzes:author_bank", course_slug=course_slug)


@instructor_required
@require_http_methods(["GET", "POST"])
def gift_upload(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    quizzes = Quiz.objects.filter(course=course).order_by("title")
    errors: list[tuple[int, str]] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        quiz_id = request.POST.get("quiz", "")
        quiz = quizzes.filter(pk=quiz_id).first() if quiz_id.isdigit() else None
        if upload is None:
            errors = [(0, "Choose a GIFT file to upload.")]
        elif upload.size > MAX_GIFT_UPLOAD_BYTES:
            errors = [
                (0, f"The file is {upload.size // 1024} KB; the limit is {MAX_GIFT_UPLOAD_BYTES // 1024} KB.")
            ]
        else:
            try:
                text = upload.read().decode("utf-8")
                created = gift_import(course=course, text=text, quiz=quiz, user=request.user)
            except UnicodeDecodeError:
                errors = [(0, "The file is not UTF-8 text.")]
            except GiftError as exc:
                errors = list(getattr(exc, "errors", None) or [(exc.line, exc.message)])
            else:
                messages.success(request, f"Imported {len(created)} question(s).")
                return redirect("quizzes:author_bank", course_slug=course.slug)
    return render(
        request,
        "quizzes/gift_import.html",
        {"course": course, "quizzes": quizzes, "errors": errors},
        status=400 if errors else 200,
    )


@instructor_required
@require_GET
def gift_download(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    quiz_id, tag = request.GET.get("quiz", ""), request.GET.get("tag", "").strip()
    if quiz_id.isdigit():
        quiz = get_object_or_404(Quiz, pk=int(quiz_id), course=course)
        questions = [item.question for item in quiz.items.select_related("question").order_by("order")]
        name = quiz.slug
    elif tag:
        questions = [q for q in Question.objects.filter(course=course).order_by("id") if tag in q.tags]
        name = f"tag-{tag}"
    else:
        questions, name = list(Question.objects.filter(course=course).order_by("id")), f"{course.slug}-bank"
    response = HttpResponse(export_questions(questions), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.gift"'
    return response
