"""The question editor's preview shows the whole question as students see it (the attempt page's inputs
template, choices shuffled with pinned ones in place), and row errors sit next to their rows (issue 18)."""

import pytest
from django.urls import reverse

from .test_quiz_authoring import single_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def author(client, instructor, course):
    client.force_login(instructor)
    return client


def preview(client, data):
    return client.post(reverse("quizzes:question_preview"), data, HTTP_HX_REQUEST="true")


def test_preview_renders_choices_with_the_attempt_template(author):
    data = single_post(**{"row-2-text": "All of the above", "row-2-weight": "0", "row-2-pinned": "on"})
    html = preview(author, data).content.decode()
    assert "<html" not in html
    assert '<div class="question-stem"><p>What is a <strong>cold start</strong>?</p>' in html
    assert html.count('type="radio" name="response"') == 3  # what the attempt page shows, to try out
    assert html.index("All of the above") > html.index("A new environment")  # pinned: stays last
    assert html.index("All of the above") > html.index("A warm one")
    for secret in ("No.", "Init.", "weight"):  # feedback, explanation, weights: never in a student's view
        assert secret not in html
    assert preview(author, data).content.decode() == html  # the same order while the author types


def test_preview_of_other_kinds_and_unfinished_questions(author):
    numeric = {"kind": "numeric", "stem": "How many MB?", "row-0-value": "10240"}
    assert 'inputmode="decimal"' in preview(author, numeric).content.decode()
    empty = preview(author, {"kind": "single", "stem": "Which?"}).content.decode()
    assert "Add choices below to see them here." in empty
    bad = preview(author, {"kind": "essay", "stem": "Tell me"}).content.decode()
    assert "The preview waits for a readable question" in bad


def test_preview_is_for_instructors_only(client, student):
    client.force_login(student)
    assert preview(client, single_post()).status_code == 403
    assert client.get(reverse("quizzes:question_preview")).status_code in {403, 405}


def test_editor_page_wires_the_preview_and_shows_row_errors_next_to_rows(author):
    page = author.get(reverse("quizzes:question_new", args=["demo"])).content.decode()
    assert 'id="question-preview"' in page and reverse("quizzes:question_preview") in page
    assert "{#" not in page and "#}" not in page  # template comments never leak into the page
    bad = single_post(**{"row-1-weight": "abc"})
    response = author.post(reverse("quizzes:question_new", args=["demo"]), bad)
    html = response.content.decode()
    assert response.status_code == 400
    row = html.index('name="row-1-text"')
    error = html.index('id="row-1-error"')
    assert row < error < html.index('name="row-2-text"')  # right under its row
    assert 'aria-describedby="row-1-error"' in html
    assert "Row 2: weight: must be a number (a percent)" in html
