"""The site icon: linked from every page, and /favicon.ico (which browsers ask for anyway) is not a 404."""

import pytest
from defusedxml import ElementTree as ET
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_svg_is_a_static_file():
    path = finders.find("favicon.svg")
    assert path, "static/favicon.svg is missing"
    assert ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_pages_link_the_icon(client):
    page = client.get("/").content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in page


def test_favicon_ico_redirects_to_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
