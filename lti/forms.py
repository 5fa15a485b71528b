from django import forms

from courses.models import Course


class PlatformForm(forms.Form):
    """Manual registration by an admin: what the LMS shows after adding the tool by hand."""

    title = forms.CharField(max_length=200, required=False)
    issuer = forms.CharField(max_length=500, help_text="e.g. https://moodle.example.edu")
    client_id = forms.CharField(max_length=255)
    deployment_ids = forms.CharField(
        max_length=2000, help_text="One or more deployment ids, separated by commas or spaces."
    )
    auth_login_url = forms.CharField(max_length=500, label="Authentication request URL")
    auth_token_url = forms.CharField(max_length=500, label="Access token URL")
    keyset_url = forms.CharField(max_length=500, label="Public keyset URL")
    course = forms.ModelChoiceField(
        queryset=Course.objects.filter(is_published=True),
        required=False,
        help_text="Course for new LMS courses.",
    )

    def deployment_list(self) -> list[str]:
        return [part for part in self.cleaned_data["deployment_ids"].replace(",", " ").split() if part]


class InviteForm(forms.Form):
    course = forms.ModelChoiceField(
        queryset=Course.objects.filter(is_published=True),
        required=False,
        help_text="Course for new LMS courses.",
    )


class LinkCourseForm(forms.Form):
    course = forms.ModelChoiceField(queryset=Course.objects.filter(is_published=True))
