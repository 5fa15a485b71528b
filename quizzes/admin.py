from django.contrib import admin

from .models import Attempt, AttemptAnswer, CheckAnswer, PollResponse, PollSession, Question, Quiz, QuizItem


class QuizItemInline(admin.TabularInline):
    model = QuizItem
    extra = 0
    autocomplete_fields = ["question"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "course", "lesson")
    list_filter = ("course", "kind")
    search_fields = ("title",)


@admin.register(Quiz)
class QuizAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "course", "lesson", "is_published")
    list_filter = ("course", "kind")
    inlines = [QuizItemInline]


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("quiz", "user", "number", "score", "passed", "submitted_at")
    list_filter = ("quiz",)


@admin.register(PollSession)
class PollSessionAdmin(admin.ModelAdmin):
    list_display = ("title", "code", "course", "host", "state", "created_at")


admin.site.register(AttemptAnswer)
admin.site.register(CheckAnswer)
admin.site.register(PollResponse)
