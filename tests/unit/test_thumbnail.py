"""Choosing an entry's thumbnail from what its source offers."""

import pytest

from feedhub.thumbnail import choose_thumbnail, images_in

THUMB = {"url": "https://e.com/thumb.jpg"}
CONTENT_IMG = {"url": "https://e.com/content.jpg", "medium": "image"}
ENCLOSURE = {"href": "https://e.com/enclosure.jpg", "type": "image/jpeg"}
ITUNES = "https://e.com/itunes.jpg"
CONTENT_HTML = '<p><img src="https://e.com/in-content.jpg"></p>'
SUMMARY_HTML = '<p><img src="https://e.com/in-summary.jpg"></p>'


def _all_sources() -> dict:
    return {
        "media_thumbnails": [THUMB],
        "media_contents": [CONTENT_IMG],
        "enclosures": [ENCLOSURE],
        "itunes_image": ITUNES,
        "content": CONTENT_HTML,
        "summary": SUMMARY_HTML,
    }


@pytest.mark.parametrize(
    ("removed", "expected"),
    [
        ((), "https://e.com/thumb.jpg"),
        (("media_thumbnails",), "https://e.com/content.jpg"),
        (("media_thumbnails", "media_contents"), "https://e.com/enclosure.jpg"),
        (("media_thumbnails", "media_contents", "enclosures"), ITUNES),
        (
            ("media_thumbnails", "media_contents", "enclosures", "itunes_image"),
            "https://e.com/in-content.jpg",
        ),
        (
            ("media_thumbnails", "media_contents", "enclosures", "itunes_image", "content"),
            "https://e.com/in-summary.jpg",
        ),
    ],
)
def test_choose_thumbnail_follows_the_precedence_order(removed, expected):
    offered = {k: v for k, v in _all_sources().items() if k not in removed}
    assert choose_thumbnail(**offered) == expected


def test_choose_thumbnail_with_nothing_offered_is_none():
    assert choose_thumbnail() is None
    assert choose_thumbnail(content="<p>no pictures</p>", summary="text") is None


def test_choose_thumbnail_picks_the_largest_image_media_content():
    contents = [
        {"url": "https://e.com/small.jpg", "medium": "image", "width": "100", "height": "100"},
        {"url": "https://e.com/large.jpg", "type": "image/jpeg", "width": "800", "height": "600"},
        {"url": "https://e.com/mid.jpg", "medium": "image", "width": 300, "height": 200},
    ]
    assert choose_thumbnail(media_contents=contents) == "https://e.com/large.jpg"


def test_choose_thumbnail_takes_the_first_media_content_when_no_sizes_are_given():
    contents = [
        {"url": "https://e.com/first.jpg", "medium": "image"},
        {"url": "https://e.com/second.jpg", "medium": "image"},
    ]
    assert choose_thumbnail(media_contents=contents) == "https://e.com/first.jpg"


def test_choose_thumbnail_ignores_media_content_that_is_not_an_image():
    contents = [
        {"url": "https://e.com/video.mp4", "type": "video/mp4", "width": "1920", "height": "1080"},
        {"url": "https://e.com/pic.jpg", "medium": "image", "width": "10", "height": "10"},
    ]
    assert choose_thumbnail(media_contents=contents) == "https://e.com/pic.jpg"


def test_choose_thumbnail_ignores_enclosures_that_are_not_images():
    enclosures = [
        {"href": "https://e.com/episode.mp3", "type": "audio/mpeg"},
        {"url": "https://e.com/cover.png", "type": "image/png"},
    ]
    assert choose_thumbnail(enclosures=enclosures) == "https://e.com/cover.png"


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://e.com/px.gif" width="1" height="1">',
        '<img src="https://e.com/px.gif" width="1">',
        '<img src="https://e.com/px.gif" height="0">',
        '<img src="https://e.com/px.gif" width=" 0 ">',
    ],
)
def test_choose_thumbnail_skips_tracking_pixels_in_content(pixel):
    content = pixel + '<img src="https://e.com/real.jpg" width="640">'
    assert choose_thumbnail(content=content) == "https://e.com/real.jpg"


def test_choose_thumbnail_skips_inline_data_images():
    content = '<img src="data:image/png;base64,AAAA"><img src="https://e.com/real.jpg">'
    assert choose_thumbnail(content=content) == "https://e.com/real.jpg"


def test_choose_thumbnail_resolves_relative_urls_against_the_base():
    assert (
        choose_thumbnail(content='<img src="/img/a.jpg">', base="https://site.example/post/1")
        == "https://site.example/img/a.jpg"
    )
    assert (
        choose_thumbnail(content='<img src="a.jpg">', base="https://site.example/blog/post")
        == "https://site.example/blog/a.jpg"
    )
    assert (
        choose_thumbnail(media_thumbnails=[{"url": "//cdn.example/t.jpg"}],
                         base="https://site.example/")
        == "https://cdn.example/t.jpg"
    )


def test_choose_thumbnail_cannot_use_a_relative_url_without_a_base():
    content = '<img src="/img/a.jpg">'
    assert choose_thumbnail(content=content) is None
    assert (
        choose_thumbnail(content=content, summary='<img src="https://e.com/s.jpg">')
        == "https://e.com/s.jpg"
    )


@pytest.mark.parametrize(
    "bad",
    ["javascript:alert(1)", "ftp://e.com/x.jpg", "data:image/png;base64,AAAA", "file:///etc/x"],
)
def test_choose_thumbnail_rejects_non_http_urls_and_falls_through(bad):
    result = choose_thumbnail(
        media_thumbnails=[{"url": bad}], itunes_image=bad, content=f'<img src="{bad}">',
        summary='<img src="https://e.com/ok.jpg">',
    )
    assert result == "https://e.com/ok.jpg"


def test_choose_thumbnail_skips_entries_without_a_url():
    result = choose_thumbnail(media_thumbnails=[{}, {"url": ""}, {"url": "https://e.com/t.jpg"}])
    assert result == "https://e.com/t.jpg"


def test_choose_thumbnail_trims_whitespace_around_urls():
    assert choose_thumbnail(itunes_image="  https://e.com/i.jpg \n") == "https://e.com/i.jpg"


def test_images_in_lists_image_sources_in_document_order():
    markup = '<p><img src="a.jpg"> text <IMG SRC="b.jpg"></p><div><img src=" c.jpg "></div>'
    assert images_in(markup) == ["a.jpg", "b.jpg", "c.jpg"]


def test_images_in_leaves_out_pixels_data_urls_and_images_without_src():
    markup = (
        '<img src="pixel.gif" width="1" height="1"><img src="zero.gif" height="0">'
        '<img src="data:image/gif;base64,R0lGOD"><img><img src="">'
        '<img src="real.jpg" width="10" height="10">'
    )
    assert images_in(markup) == ["real.jpg"]


def test_images_in_decodes_entities_in_the_source():
    assert images_in('<img src="https://e.com/i?a=1&amp;b=2">') == ["https://e.com/i?a=1&b=2"]


@pytest.mark.parametrize("markup", ["", "<p>no images</p>", "<picture></picture>"])
def test_images_in_of_markup_without_images_is_empty(markup):
    assert images_in(markup) == []
