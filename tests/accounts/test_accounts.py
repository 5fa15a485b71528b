import json

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import INSTRUCTORS, instructor_required, is_instructor

pytestmark = pytest.mark.django_db


def test_signup_creates_a_student_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {"username": "ada", "email": "", "password1": "a-Long-pass-42", "password2": "a-Long-pass-42"},
    )
    assert response.status_code == 302
    user = User.objects.get(username="ada")
    assert not is_instructor(user)
    assert user.groups.filter(name="students").exists()
    assert client.get(reverse("home")).context["user"].username == "ada"


def test_signup_errors_are_field_level_and_create_nothing(client):
    response = client.post(reverse("signup"), {"username": "ada", "password1": "x", "password2": "y"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The two password fields didn" in page and 'role="alert"' in page
    assert not User.objects.filter(username="ada").exists()


def test_login_logout_and_password_change(client, student):
    response = client.post(reverse("login"), {"username": "stu", "password": "stu-pass-123"})
    assert response.status_code == 302
    bad = client.post(
        reverse("password_change"), {"old_password": "nope", "new_password1": "x", "new_password2": "x"}
    )
    assert bad.status_code == 200 and "Your old password was entered incorrectly" in bad.content.decode()
    ok = client.post(
        reverse("password_change"),
        {
            "old_password": "stu-pass-123",
            "new_password1": "N3w-pass-word!",
            "new_password2": "N3w-pass-word!",
        },
    )
    assert ok.status_code == 302
    client.post(reverse("logout"))
    assert client.login(username="stu", password="N3w-pass-word!")


def test_wrong_password_shows_a_readable_error(client, student):
    response = client.post(reverse("login"), {"username": "stu", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_instructor_required_redirects_anonymous_and_forbids_students(student, instructor):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    view = instructor_required(lambda request: HttpResponse("ok"))
    request = RequestFactory().get("/x/")
    request.user = AnonymousUser()
    assert view(request).status_code == 302
    request.user = student
    with pytest.raises(PermissionDenied):
        view(request)
    request.user = instructor
    assert view(request).status_code == 200
    assert instructor.groups.filter(name=INSTRUCTORS).exists()


def test_admin_is_for_staff_only(client, student):
    client.force_login(student)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    staff = User.objects.create_user("boss", password="p", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


def test_seed_demo_is_disabled_outside_development(capsys):
    from django.core.management import call_command

    call_command("seed_demo")
    assert "disabled" in capsys.readouterr().out
    assert not User.objects.exists()


def test_seed_demo_creates_users_in_development(settings, capsys, content_dir, tmp_path):
    from django.core.management import call_command

    from courses.importing import import_course_dir

    import_course_dir(content_dir)
    settings.DEMO_USERS = True
    settings.DEMO_LOGINS_FILE = tmp_path / "demo-logins.json"
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "username=student password=student-demo-pass" in out
    assert is_instructor(User.objects.get(username="instructor"))
    assert User.objects.get(username="student").enrollments.count() == 1
    recorded = json.loads(settings.DEMO_LOGINS_FILE.read_text())
    assert recorded[0] == {"role": "instructor", "username": "instructor", "password": "instructor-demo-pass"}
    assert settings.DEMO_LOGINS_FILE.stat().st_mode & 0o077 == 0


def test_seed_demo_generates_passwords_for_a_class_and_keeps_them(settings, capsys, content_dir, tmp_path):
    """make run (classroom settings): the public demo passwords must not open accounts on a shared network,
    including accounts made earlier by `make dev` with the public password."""
    from django.core.management import call_command

    from courses.importing import import_course_dir

    import_course_dir(content_dir)
    settings.DEMO_USERS = True
    settings.DEMO_LOGINS_FILE = tmp_path / "demo-logins.json"
    call_command("seed_demo")  # development: public passwords
    settings.DEMO_LOGINS_FILE.unlink()  # as on a machine that ran `make dev` before this change
    settings.DEMO_PASSWORDS_GENERATED = True
    call_command("seed_demo")
    first = {e["username"]: e["password"] for e in json.loads(settings.DEMO_LOGINS_FILE.read_text())}
    call_command("seed_demo")
    second = {e["username"]: e["password"] for e in json.loads(settings.DEMO_LOGINS_FILE.read_text())}
    assert (
        first == second and first["instructor"] != "instructor-demo-pass" and len(first["instructor"]) >= 12
    )
    instructor = User.objects.get(username="instructor")
    assert instructor.check_password(first["instructor"]) and not instructor.check_password(
        "instructor-demo-pass"
    )
    assert f"username=instructor password={first['instructor']}" in capsys.readouterr().out
