from django.contrib import admin

from .models import Context, Deployment, GradeSync, Identity, LineItem, Platform


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("__str__", "issuer", "client_id", "is_active", "registered_by")
    inlines = [DeploymentInline]


@admin.register(Context)
class ContextAdmin(admin.ModelAdmin):
    list_display = ("__str__", "deployment", "course")


admin.site.register(Identity)
admin.site.register(LineItem)
admin.site.register(GradeSync)
