from django.contrib import admin

from .models import ReviewItem, ReviewLog


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    list_display = ["user", "course", "source", "question", "check_id", "due", "reviews", "suspended"]
    list_filter = ["source", "suspended", "course"]
    raw_id_fields = ["user", "question", "lab"]


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ["item", "rating", "reviewed_at", "due_after"]
    raw_id_fields = ["item"]
