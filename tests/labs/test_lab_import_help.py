"""The lab page tells a student what a handler can import (issue 15 class 5): the runtime's own packages,
and the wheelhouse's through requirements.txt or the public Powertools layer."""

from django.urls import reverse


def test_the_lab_page_lists_what_a_handler_can_import(student_client, squared):
    html = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    help_text = html.split('id="import-help"', 1)[1].split("</details>", 1)[0]
    assert "<code>boto3</code>" in help_text and "standard library" in help_text
    for package in ("aws-lambda-powertools", "requests", "pydantic"):
        assert f"<code>{package}</code>" in help_text
    assert "AWSLambdaPowertoolsPythonV3-python312-x86_64" in help_text
    assert "requirements.txt" in help_text and "no internet access" in help_text
