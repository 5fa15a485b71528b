"""Question bank search and filter (issue 18): by words of the title or stem, kind, category (with its
subcategories) and tag, on the server, paginated, and as an htmx fragment."""

import pytest
from django.urls import reverse

from quizzes import selectors
from quizzes.services import gift_import

pytestmark = pytest.mark.django_db

BANK = """$CATEGORY: serverless/lambda

// [tag:lambda]
::Cold start::What is a **cold start**?{=A new environment ~A warm one}

// [tag:lambda] [tag:perf]
::Memory::What is the maximum memory of a function, in MB?{#10240}

$CATEGORY: serverless/lambda/limits

::Timeout::What is the longest timeout, in minutes?{#15}

$CATEGORY: serverless/sqs

// [tag:sqs]
::Visibility::A consumer must delete a message before its visibility timeout ends.{TRUE}
"""


@pytest.fixture
def bank(course):
    return gift_import(course=course, text=BANK)


def titles(found) -> list[str]:
    return [question.title for question in found]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["Cold start", "Memory", "Timeout", "Visibility"]),
        ({"text": "MEMORY"}, ["Memory"]),  # the title, any case
        ({"text": "timeout"}, ["Timeout", "Visibility"]),  # the stem too
        ({"kind": "numeric"}, ["Memory", "Timeout"]),
        ({"category": "serverless/lambda"}, ["Cold start", "Memory", "Timeout"]),  # with subcategories
        ({"category": "serverless/lambda/limits"}, ["Timeout"]),
        ({"category": "serverless/lamb"}, []),  # a category is a path, not a prefix of text
        ({"tag": "perf"}, ["Memory"]),
        ({"tag": "lambda", "kind": "single"}, ["Cold start"]),
        ({"text": "timeout", "category": "serverless/sqs"}, ["Visibility"]),
    ],
)
def test_bank_search_filters(course, bank, filters, expected):
    assert titles(selectors.bank_search(course=course, **filters)) == expected


def test_bank_categories(course, bank):
    assert selectors.bank_categories(course=course) == [
        "serverless/lambda",
        "serverless/lambda/limits",
        "serverless/sqs",
    ]


@pytest.fixture
def author(client, instructor, course):
    client.force_login(instructor)
    return client


def test_bank_page_has_the_search_form_and_filtered_results(author, course, bank):
    url = reverse("quizzes:author_bank", args=["demo"])
    page = author.get(url, {"kind": "numeric"}).content.decode()
    assert '<form id="bank-search"' in page and 'hx-target="#bank-results"' in page
    assert '<option value="numeric" selected>' in page
    assert '<option value="serverless/lambda/limits">' in page
    assert "1–2 of 2 questions matching the filters (the bank holds 4)" in page
    assert "Memory" in page and "Cold start" not in page.split('id="bank-results"')[1]


def test_bank_htmx_request_gets_only_the_results(author, course, bank):
    url = reverse("quizzes:author_bank", args=["demo"])
    fragment = author.get(url, {"text": "cold"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="bank-results")
    html = fragment.content.decode()
    assert "<html" not in html and '<form id="bank-search"' not in html
    assert "1–1 of 1 question matching" in html and "Cold start" in html
    # A history restore (htmx without our target) gets the whole page.
    restore = author.get(
        url, {"text": "cold"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in restore.content.decode()


def test_bank_unknown_kind_is_ignored_and_nothing_found_says_so(author, course, bank):
    url = reverse("quizzes:author_bank", args=["demo"])
    assert "1–4 of 4 questions" in author.get(url, {"kind": "essay"}).content.decode()
    page = author.get(url, {"text": "nothing like this"}).content.decode()
    assert "No question matches these filters." in page and "Clear filters" in page


def test_bank_is_paginated_and_pages_keep_the_filters(author, course):
    gift_import(course=course, text="\n\n".join(f"::Q{i:02}::Question {i}?{{TRUE}}" for i in range(30)))
    url = reverse("quizzes:author_bank", args=["demo"])
    first = author.get(url, {"kind": "truefalse"}).content.decode()
    assert "1–25 of 30 questions" in first and "Page 1 of 2" in first
    assert "?kind=truefalse&amp;page=2" in first
    second = author.get(url, {"kind": "truefalse", "page": "2"}).content.decode()
    assert "26–30 of 30 questions" in second and "Q29" in second and "Q00" not in second
    assert "26–30" in author.get(url, {"kind": "truefalse", "page": "99"}).content.decode()  # last page


def test_students_cannot_search_the_bank(client, student, course):
    client.force_login(student)
    assert client.get(reverse("quizzes:author_bank", args=["demo"]), {"text": "x"}).status_code == 403
