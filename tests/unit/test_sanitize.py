"""Allow-list sanitizing of source HTML, and the http(s)-only URL check."""

import pytest

from feedhub.sanitize import safe_url, sanitize_html


def test_sanitize_removes_script_elements_with_their_content():
    out = sanitize_html("<p>Hi<script>alert('x')</script></p>")
    assert "script" not in out
    assert "alert" not in out
    assert out == "<p>Hi</p>"


@pytest.mark.parametrize(
    "markup",
    [
        '<p onclick="steal()">text</p>',
        '<img src="https://e.com/i.png" onerror="steal()">',
        '<a href="https://e.com" onmouseover="steal()">x</a>',
        '<div ONLOAD="steal()">x</div>',
    ],
)
def test_sanitize_removes_event_handler_attributes(markup):
    out = sanitize_html(markup)
    assert "steal" not in out
    assert " on" not in out.lower()


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_sanitize_removes_links_with_dangerous_schemes(url):
    out = sanitize_html(f'<a href="{url}">click</a>')
    assert "href" not in out
    assert "click" in out


def test_sanitize_removes_data_urls_from_images():
    out = sanitize_html('<img src="data:image/png;base64,AAAA" alt="x">')
    assert "data:" not in out
    assert "src" not in out


@pytest.mark.parametrize(
    "markup",
    [
        '<iframe src="https://evil.example/">inside</iframe>',
        '<object data="https://evil.example/x.swf">inside</object>',
        '<embed src="https://evil.example/x.swf">',
        '<form action="https://evil.example/"><input name="pw">inside</form>',
        "<svg><script>inside</script></svg>",
        "<noscript>inside</noscript>",
    ],
)
def test_sanitize_removes_frames_plugins_and_forms_with_their_content(markup):
    out = sanitize_html(markup + "<p>after</p>")
    assert out == "<p>after</p>"


@pytest.mark.parametrize("prop", ["position: fixed", "display: none", "z-index: 999"])
def test_sanitize_removes_layout_hijacking_style_properties_but_keeps_alignment(prop):
    out = sanitize_html(f'<p style="{prop}; text-align: center">x</p>')
    assert out == '<p style="text-align:center">x</p>'



def test_sanitize_keeps_ordinary_markup():
    markup = (
        "<h2>Heading</h2><p>Some <em>text</em> and <strong>more</strong>.</p>"
        "<ul><li>one</li><li>two</li></ul><blockquote>quote</blockquote>"
        "<pre><code>x = 1</code></pre>"
        "<figure><img src=\"https://e.com/a.jpg\" alt=\"a\"><figcaption>cap</figcaption></figure>"
    )
    assert sanitize_html(markup) == markup


def test_sanitize_keeps_http_links_and_marks_them_noopener():
    out = sanitize_html('<a href="https://e.com/a?b=1">read</a>')
    assert 'href="https://e.com/a?b=1"' in out
    assert 'rel="noopener noreferrer nofollow"' in out


def test_sanitize_keeps_http_images():
    out = sanitize_html('<img src="http://e.com/pic.jpg" alt="pic">')
    assert out == '<img src="http://e.com/pic.jpg" alt="pic">'


def test_sanitize_removes_comments():
    assert sanitize_html("<p>a<!-- secret -->b</p>") == "<p>ab</p>"


@pytest.mark.parametrize("markup", ["", None])
def test_sanitize_of_nothing_is_empty(markup):
    assert sanitize_html(markup) == ""


@pytest.mark.parametrize(
    "url",
    ["http://example.com/", "https://example.com/a?b=1", "HTTPS://EXAMPLE.COM/x"],
)
def test_safe_url_accepts_absolute_http_urls(url):
    assert safe_url(url) == url


def test_safe_url_trims_surrounding_whitespace():
    assert safe_url("  https://example.com/a \n") == "https://example.com/a"


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "/relative",
        "relative.html",
        "//example.com/protocol-relative",
        "http:///no-host",
        "ftp://example.com/f",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "mailto:a@example.com",
        "http://[broken",
    ],
)
def test_safe_url_rejects_everything_but_absolute_http_urls(url):
    assert safe_url(url) is None


def test_the_publishers_look_goes_and_what_the_text_means_stays():
    # As a WeChat article styles every paragraph: the reader's theme and font size must win.
    out = sanitize_html(
        '<p style="font-size: 16px; color: rgb(33, 38, 41); line-height: 1.75em;">a</p>'
        '<span style="font-size:0;letter-spacing:1px;font-family:SimSun">b</span>'
        '<p style="background-color:#fff;margin:0 8px;text-indent:2em">c</p>'
        '<p style="TEXT-ALIGN: center; Font-Weight: bold; color: red">d</p>'
        '<pre style="white-space: pre-wrap">e</pre><p style="text-align:">f</p>')
    assert out == ('<p>a</p><span>b</span><p>c</p>'
                   '<p style="text-align:center;font-weight:bold">d</p>'
                   '<pre style="white-space:pre-wrap">e</pre><p>f</p>')
