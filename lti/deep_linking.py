"""Deep linking: what the instructor picked becomes LTI resource links in the LMS course, each carrying the
item's reference as a custom parameter; graded items carry a line item (label, maximum, resourceId) so the
LMS makes the gradebook column that our grade passback then finds by resourceId and reuses."""

from __future__ import annotations

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem as LibLineItem

from courses.models import Course

from . import items
from .grades import TAG
from .models import Context
from .services import LaunchRefused, context_link_course

DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def picker_courses(context: Context | None) -> list[tuple[Course, list[items.Item]]]:
    """The linked course only, or every published course when the LMS course is not linked yet."""
    if context is not None and context.course_id:
        courses = [context.course]
    else:
        courses = list(Course.objects.filter(is_published=True).order_by("title"))
    return [(course, items.course_items(course)) for course in courses]


def resource_for(item: items.Item, launch_url: str) -> DeepLinkResource:
    resource = (
        DeepLinkResource().set_url(launch_url).set_title(item.title).set_custom_params({"item": item.ref})
    )
    if item.graded:
        resource.set_lineitem(
            LibLineItem()
            .set_label(item.title)
            .set_score_maximum(item.score_maximum)
            .set_resource_id(item.ref)
            .set_tag(TAG)
        )
    return resource


def deep_link_response(
    *, message, body: dict, context: Context | None, refs: list[str], launch_url: str
) -> tuple[str, str]:
    """(return URL, signed LtiDeepLinkingResponse JWT) for the auto-submitting form back to the LMS. Raises
    LaunchRefused for an empty or mixed choice (items from two courses: one LMS course, one course)."""
    settings_claim = body.get(DL_SETTINGS) or {}
    if not refs:
        raise LaunchRefused("Pick at least one item to add.")
    if len(refs) > 1 and settings_claim.get("accept_multiple") is False:
        raise LaunchRefused("Your LMS accepts one item at a time here: pick one.")
    if "ltiResourceLink" not in settings_claim.get("accept_types", ["ltiResourceLink"]):
        raise LaunchRefused("Your LMS does not accept LTI links from this placement.")
    try:
        chosen = [items.resolve(ref) for ref in refs]
    except items.UnknownItem as error:
        raise LaunchRefused(str(error)) from error
    courses = {item.course.pk for item in chosen}
    if len(courses) > 1:
        raise LaunchRefused("Pick items from one course: an LMS course is linked to one course here.")
    if context is not None:
        context_link_course(context=context, course=chosen[0].course)
    jwt_value = message.get_deep_link().get_response_jwt([resource_for(item, launch_url) for item in chosen])
    # pylti1p3's own form puts the return URL into HTML unescaped; ours goes through a template.
    return settings_claim["deep_link_return_url"], jwt_value
