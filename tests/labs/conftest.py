"""Fixtures for the labs app: the real course and lab catalog imported, and a student's client."""

import pytest


@pytest.fixture
def student_client(client, student):
    client.force_login(student)
    return client
