from django import template
from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe

from courses.rendering import render_cached, sanitize_html
from quizzes import questions

register = template.Library()


@register.filter
def render_text(text: str, text_format: str = "markdown") -> str:
    """Question text (stem, feedback, explanation) as safe HTML: Markdown like lessons, sanitized HTML, or
    plain text with line breaks."""
    if not text:
        return ""
    if text_format == "markdown":
        return mark_safe(render_cached(text).html)  # noqa: S308 (sanitized by the renderer)
    if text_format == "html":
        return mark_safe(sanitize_html(text))  # noqa: S308 (sanitized)
    return mark_safe(linebreaks(escape(text)))  # noqa: S308 (escaped)


@register.filter
def is_chosen(response, choice_id: str) -> bool:
    if isinstance(response, list):
        return choice_id in response
    return response == choice_id


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.simple_tag
def answer_feedback(question, response) -> dict:
    """``{% answer_feedback question response as feedback %}``: see quizzes.questions.answer_feedback."""
    return questions.answer_feedback(question, response)
