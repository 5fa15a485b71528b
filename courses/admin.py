from django.contrib import admin

from .models import Course, Enrollment, Lesson, LessonProgress, Module


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "slug", "is_published")


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "order")
    list_filter = ("course",)


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ("title", "module", "order", "minutes", "is_published")
    list_filter = ("course", "module", "is_published")
    search_fields = ("title", "search_text")
    readonly_fields = ("content_hash", "source_path")


admin.site.register(Enrollment)
admin.site.register(LessonProgress)
