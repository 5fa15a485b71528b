"""LMS roles to our two roles (pure function)."""

import pytest

from lti.roles import teaches

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"


@pytest.mark.parametrize(
    ("roles", "instructor"),
    [
        ([LIS + "membership#Learner"], False),
        ([LIS + "membership#Instructor"], True),
        (["Instructor"], True),  # the short form the spec allows for context roles
        ([LIS + "membership/Instructor#TeachingAssistant"], True),
        ([LIS + "membership#ContentDeveloper"], True),
        ([LIS + "membership#Mentor"], False),
        ([LIS + "institution/person#Instructor"], False),  # an institution role is not a course role
        ([LIS + "institution/person#Administrator", LIS + "membership#Learner"], True),
        ([LIS + "system/person#Administrator"], True),
        ([], False),
    ],
)
def test_lms_roles_map_to_instructor_or_student(roles, instructor):
    assert teaches(roles) is instructor
