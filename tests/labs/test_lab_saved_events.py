"""Saved test events (the Lambda console's private test events, at most 10 per function:
https://docs.aws.amazon.com/lambda/latest/dg/testing-functions.html): saved under a name, picked again,
replaced, deleted; per student and lab; checked by the playground's parser; limits with clear errors. And
the event menu names what the event box holds after a reload."""

import pytest
from django.urls import reverse

from accounts.roles import STUDENTS
from accounts.services import user_create
from labs import saved_events
from labs.models import PlaygroundRun, SavedEvent
from labs.saved_events import SavedEventRejected, saved_event_delete, saved_event_save

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def save(client, lab, name, event, sample="", htmx=True):
    url = reverse("labs:saved_event_save", args=[lab.slug])
    data = {"event_name": name, "event": event, "sample": sample}
    return client.post(url, data, **(HX if htmx else {}))


def pick(client, lab, key):
    return client.get(reverse("labs:playground_sample", args=[lab.slug]), {"sample": key}, **HX)


# -- the service --------------------------------------------------------------------------------------------
def test_save_pick_replace_and_delete(student, squared):
    saved = saved_event_save(user=student, lab=squared, name="big-number", event_text='{"number": 99}')
    assert saved.event == {"number": 99}
    again = saved_event_save(user=student, lab=squared, name="big-number", event_text='{"number": 100}')
    assert again.pk == saved.pk and SavedEvent.objects.get().event == {"number": 100}  # replaced, not added
    saved_event_delete(user=student, lab=squared, name="big-number")
    assert not SavedEvent.objects.exists()
    with pytest.raises(SavedEventRejected) as caught:
        saved_event_delete(user=student, lab=squared, name="big-number")
    assert caught.value.status == 404 and "no saved event named 'big-number'" in caught.value.message


@pytest.mark.parametrize(
    ("name", "event", "says"),
    [
        ("", "{}", "Give the event a name"),
        ("   ", "{}", "Give the event a name"),
        ("x" * 26, "{}", "is 26 characters long; the most is 25"),
        (
            "two words",
            "{}",
            "'two words' may hold only letters, numbers, dots (.), hyphens (-) and underscores",
        ),
        (
            "ok",
            '{"number": }',
            "Not saved. The event is not valid JSON: Expecting value at line 1, column 12.",
        ),
        ("ok", "", "Not saved. The event is empty"),
        ("ok", "NaN", "NaN is not a JSON value"),
        ("ok", '"\\u0000"', "contains a NUL character"),
        ("ok", "[" * 100_000, "nested too deeply"),
        ("ok", " " * (256 * 1024 + 1), "larger than 256 KB"),
    ],
)
def test_a_refused_save_says_what_and_saves_nothing(student, squared, name, event, says):
    with pytest.raises(SavedEventRejected) as caught:
        saved_event_save(user=student, lab=squared, name=name, event_text=event)
    assert says in caught.value.message
    assert not SavedEvent.objects.exists()


def test_at_most_ten_per_student_and_lab_but_a_name_can_be_replaced(student, squared, catalog):
    for index in range(saved_events.MAX_SAVED_EVENTS):
        saved_event_save(user=student, lab=squared, name=f"e{index}", event_text=f'{{"number": {index}}}')
    with pytest.raises(SavedEventRejected) as caught:
        saved_event_save(user=student, lab=squared, name="one-more", event_text="{}")
    assert "already have 10 saved events for this lab" in caught.value.message
    saved_event_save(user=student, lab=squared, name="e3", event_text='{"number": 33}')  # replacing is fine
    assert SavedEvent.objects.get(name="e3").event == {"number": 33}
    other_lab = catalog.exclude(pk=squared.pk).first()
    saved_event_save(user=student, lab=other_lab, name="one-more", event_text="{}")  # the limit is per lab
    assert SavedEvent.objects.filter(user=student).count() == 11


# -- the pages ----------------------------------------------------------------------------------------------
def test_saving_over_htmx_returns_the_menu_with_it_selected(student_client, student, squared):
    response = save(student_client, squared, "big-number", '{"number": 99}')
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert '<optgroup label="Your saved events">' in html
    assert '<option value="saved:big-number" selected>big-number</option>' in html
    assert "Saved as big-number." in html and "1 of 10 saved" in html
    assert 'value="big-number"' in html  # the name box keeps the name: Save again replaces it


def test_a_refused_save_keeps_the_menu_as_it_was_and_says_why(student_client, squared):
    response = save(student_client, squared, "big-number", '{"number": }', sample="s3-put")
    html = response.content.decode()
    assert response.status_code == 400 and 'role="alert"' in html
    assert "Not saved. The event is not valid JSON: Expecting value at line 1, column 12." in html
    assert '<option value="s3-put" selected>' in html


def test_picking_a_saved_event_fills_the_box_and_the_name(student_client, student, squared):
    saved_event_save(user=student, lab=squared, name="big-number", event_text='{"number": 99}')
    html = pick(student_client, squared, "saved:big-number").content.decode()
    assert "&quot;number&quot;: 99" in html
    assert 'id="saved-event-name"' in html and 'value="big-number" hx-swap-oob="true"' in html
    assert pick(student_client, squared, "saved:nope").status_code == 404
    assert "saved-event-name" not in pick(student_client, squared, "s3-put").content.decode()


def test_saved_events_are_the_owners_only(client, student, squared):
    saved_event_save(user=student, lab=squared, name="mine", event_text='{"number": 1}')
    other = user_create(username="other", password="other-pass-123", role=STUDENTS)
    client.force_login(other)
    assert pick(client, squared, "saved:mine").status_code == 404
    assert "saved:mine" not in client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    url = reverse("labs:saved_event_delete", args=[squared.slug])
    assert client.post(url, {"sample": "saved:mine"}, **HX).status_code == 404
    assert SavedEvent.objects.filter(name="mine").exists()


def test_deleting_resets_the_box_and_the_menu(student_client, student, squared):
    saved_event_save(user=student, lab=squared, name="big-number", event_text='{"number": 99}')
    url = reverse("labs:saved_event_delete", args=[squared.slug])
    response = student_client.post(url, {"sample": "saved:big-number"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "Deleted big-number." in html
    assert "saved:big-number" not in html and '<option value="" selected>' in html
    # the event box is swapped out of band back to the lab's starting event, so box and menu agree
    assert 'id="playground-event" class="playground-event" hx-swap-oob="true"' in html
    assert "&quot;number&quot;: 5" in html
    refused = student_client.post(url, {"sample": "s3-put"}, **HX)
    assert refused.status_code == 400 and "Choose one of your saved events" in refused.content.decode()


def test_without_javascript_save_redirects_and_a_refusal_is_a_page(student_client, squared):
    response = save(student_client, squared, "big-number", "{}", htmx=False)
    assert response.status_code == 302 and response["Location"] == squared.get_absolute_url()
    refused = save(student_client, squared, "", "{}", htmx=False)
    assert refused.status_code == 400 and "<html" in refused.content.decode()
    assert "Give the event a name" in refused.content.decode()


def test_after_a_reload_the_menu_names_what_the_box_holds(student_client, student, squared):
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert '<option value="" selected>' in page and "Your last test" not in page
    PlaygroundRun.objects.create(
        user=student, lab=squared, handler="app.lambda_handler", files={"app.py": ""}, event={"Records": []}
    )
    page = student_client.get(reverse("labs:detail", args=[squared.slug])).content.decode()
    assert "&quot;Records&quot;: []" in page  # the box holds the last test's event
    assert '<option value="last" selected>Your last test\'s event</option>' in page
    assert '<option value="" selected>' not in page
    assert 'id="playground-sample" name="sample" autocomplete="off"' in page  # no stale choice restored
    assert "&quot;Records&quot;: []" in pick(student_client, squared, "last").content.decode()
