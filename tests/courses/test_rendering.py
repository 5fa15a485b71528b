from django.core.cache import cache

from courses import rendering
from courses.rendering import render_cached, render_markdown, sanitize_html


def test_python_json_yaml_bash_are_highlighted():
    for language, code in [
        ("python", "def f(x):\n    return x * x"),
        ("json", '{"number": 5}'),
        ("yaml", "Resources:\n  Fn:\n    Type: AWS::Serverless::Function"),
        ("bash", "aws lambda invoke --function-name f out.json"),
    ]:
        html = render_markdown(f"```{language}\n{code}\n```").html
        assert '<div class="highlight">' in html, language
        assert "<span class=" in html, f"{language} got no token spans"


def test_python_keywords_get_pygments_classes():
    html = render_markdown("```python\ndef handler(event, context):\n    return None\n```").html
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">handler</span>' in html


def test_tables_admonitions_and_heading_anchors():
    text = (
        "## Limits and quotas\n\n| Limit | Value |\n|:--|--:|\n| Memory | 10,240 MB |\n\n"
        '!!! note "What changed"\n    It was 3 GB.\n\n### Sub part\n\nText.'
    )
    result = render_markdown(text)
    assert "<table>" in result.html and '<td align="right">10,240 MB</td>' in result.html
    assert '<div class="admonition note">' in result.html
    assert '<p class="admonition-title">What changed</p>' in result.html
    assert '<h2 id="limits-and-quotas">' in result.html
    assert [entry.id for entry in result.toc] == ["limits-and-quotas"]
    assert result.toc[0].children[0].title == "Sub part"


def test_mermaid_fence_becomes_a_diagram_block_not_code():
    result = render_markdown('```mermaid\nflowchart LR\n  S3["Bucket"] --> L["Lambda"]\n```')
    assert result.has_diagram
    assert (
        '<pre class="mermaid">flowchart LR\n  S3["Bucket"] --&gt; L["Lambda"]</pre>'
        in result.html.replace("&quot;", '"')
    )
    assert "highlight" not in result.html


def test_script_and_event_handlers_never_survive():
    text = (
        'Hello <script>alert("x")</script> <img src="x" onerror="alert(1)"> '
        '[click](javascript:alert(1)) <iframe src="https://evil"></iframe> <a href="#" onclick="x()">a</a>\n\n'
        '<div class="lesson-layout" style="display:none">hidden</div>'
    )
    html = render_markdown(text).html
    lowered = html.lower()
    assert "<script" not in lowered and 'alert("x")' not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered
    assert "javascript:" not in lowered
    assert "<iframe" not in lowered
    assert "style=" not in lowered
    assert "lesson-layout" not in html  # classes outside the renderer's own are dropped


def test_sanitize_keeps_safe_links():
    html = sanitize_html('<a href="https://docs.aws.amazon.com/lambda/">docs</a>')
    assert 'href="https://docs.aws.amazon.com/lambda/"' in html
    assert 'rel="noopener noreferrer"' in html


def test_render_cached_does_no_markdown_work_when_warm(monkeypatch):
    cache.clear()
    calls = []
    real = rendering.render_markdown
    monkeypatch.setattr(rendering, "render_markdown", lambda text: calls.append(text) or real(text))
    first = render_cached("# Title\n\nbody")
    second = render_cached("# Title\n\nbody")
    assert calls == ["# Title\n\nbody"]
    assert first == second
    render_cached("# Title\n\nedited body")
    assert len(calls) == 2  # an edit is a new hash, rendered once


def test_what_changed_callout_keeps_its_class_through_the_sanitizer():
    html = render_markdown('!!! changed "What changed (Nov 2025)"\n    VPC links V2 reach ALBs.\n').html
    assert '<div class="admonition changed">' in html
    assert '<p class="admonition-title">What changed (Nov 2025)</p>' in html
    # A made-up class is still stripped: only the renderer's own classes pass.
    assert 'class="admonition"' in render_markdown('!!! restyle "T"\n    x\n').html
