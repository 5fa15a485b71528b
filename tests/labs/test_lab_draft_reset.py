"""Reset to starter: the page asks first; the draft is deleted, the editor shows the starter files again,
and submissions and test runs are kept."""

import pytest
from django.test import Client
from django.urls import reverse

from labs import services
from labs.models import Draft, PlaygroundRun

pytestmark = pytest.mark.django_db


def test_reset_deletes_the_draft_and_the_page_shows_the_starter(student_client, student, squared):
    services.draft_save(user=student, lab=squared, files={"app.py": "print('mine')\n"})
    PlaygroundRun.objects.create(user=student, lab=squared, handler="app.lambda_handler", files={}, event={})
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "print(&#x27;mine&#x27;)" in page
    assert 'hx-post="/labs/squared-number/draft/reset/"' in page and "hx-confirm=" in page
    url = reverse("labs:draft_reset", args=[squared.slug])
    response = student_client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert not Draft.objects.exists() and PlaygroundRun.objects.exists()  # test runs are kept
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "print(&#x27;mine&#x27;)" not in page and "def lambda_handler" in page  # the starter


def test_reset_without_htmx_redirects_and_needs_a_post_and_a_login(student_client, squared):
    url = reverse("labs:draft_reset", args=[squared.slug])
    response = student_client.post(url)
    assert response.status_code == 302 and response["Location"] == squared.get_absolute_url()
    assert student_client.get(url).status_code == 405
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert student_client.post(reverse("labs:draft_reset", args=["no-such-lab"])).status_code == 404
