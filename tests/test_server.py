"""``feedhub serve``: what a reader or a proxy sees over HTTP."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import FeedServer, feedhub, free_port, write_config
from running import get, wait_for


class Served:
    def __init__(self, config: Path, port: int) -> None:
        self.config, self.port = config, port
        self.public = config.parent / "data" / "public"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{quote(path)}"


@pytest.fixture
def served(tmp_path: Path, feed_server: FeedServer) -> Iterator[Served]:
    url = feed_server.serve_fixture("/ngbj.rss", "ngbj.rss")
    port = free_port()
    config = write_config(tmp_path, f"  新媒体:\n    鸟哥笔记:\n      首页: {url}\n", port=port)
    assert feedhub("poll", "-c", str(config)).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "feedhub", "serve", "-c", str(config)],
                            stderr=subprocess.DEVNULL, env={**os.environ})
    s = Served(config, port)
    try:
        wait_for(lambda: get(s.url("healthz"))[0] == 200, what="server up")
        yield s
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


@pytest.mark.parametrize(("path", "media_type"), [
    ("all.atom", "application/atom+xml"), ("all.rss", "application/rss+xml"),
    ("all.json", "application/feed+json"), ("opml.xml", "application/xml"),
    ("sources.opml", "text/x-opml"), ("index.html", "text/html"), ("", "text/html"),
    ("feeds/新媒体/鸟哥笔记/首页.atom", "application/atom+xml"),
])
def test_media_types_caching_and_unicode_paths(served: Served, path: str,
                                               media_type: str) -> None:
    status, headers, body = get(served.url(path))
    assert status == 200, path
    assert headers["Content-Type"].split(";")[0] == media_type
    assert headers["Cache-Control"] == "public, max-age=60"
    assert body == (served.public / (path or "index.html")).read_bytes()


def test_conditional_requests_answer_304_on_either_validator(served: Served) -> None:
    _, headers, _ = get(served.url("all.atom"))
    for validator in ({"If-None-Match": headers["Etag"]},
                      {"If-Modified-Since": headers["Last-Modified"]}):
        status, _, body = get(served.url("all.atom"), validator)
        assert (status, body) == (304, b""), validator
    status, _, _ = get(served.url("all.atom"), {"If-None-Match": '"other"'})
    assert status == 200


def test_gzip_is_sent_when_asked_and_head_has_no_body(served: Served) -> None:
    request = urllib.request.Request(served.url("all.atom"), headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(response.read()) == (served.public / "all.atom").read_bytes()
    head = urllib.request.Request(served.url("all.atom"), method="HEAD")
    with urllib.request.urlopen(head, timeout=5) as response:
        assert response.status == 200 and response.read() == b""
        size = (served.public / "all.atom").stat().st_size
        assert int(response.headers["Content-Length"]) == size


def test_nothing_outside_the_output_folder_is_reachable(served: Served, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret")
    (served.public / "link.txt").symlink_to(tmp_path / "secret.txt")
    (served.public / "feeds" / "linkdir").symlink_to(tmp_path)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/feeds/..%2f..%2fsecret.txt",
                 "/%2e%2e%2f%2e%2e%2fconfig.yaml", "//etc/passwd", "/link.txt",
                 "/feeds/linkdir/secret.txt", "/all.atom.gz", "/.all.atom.1.tmp",
                 "/feeds/%2e%2e/%2e%2e/config.yaml", "/%5c..%5cconfig.yaml"):
        status, _, body = get(f"http://127.0.0.1:{served.port}{path}")
        assert status == 404, path
        assert b"secret" not in body and b"sources:" not in body, path


def test_metrics_are_prometheus_text(served: Served) -> None:
    get(served.url("all.atom"))
    status, headers, body = get(served.url("metrics"))
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    sources = {s.labels["state"]: s.value for s in families["feedhub_sources"].samples}
    assert sources["ok"] == 1 and sources["failing"] == 0
    assert families["feedhub_database_bytes"].samples[0].value > 0
    on_disk = sum(p.stat().st_size for p in served.public.rglob("*") if p.is_file())
    assert families["feedhub_output_bytes"].samples[0].value == on_disk > 0
    served_ok = [s.value for s in families["feedhub_http_responses"].samples
                 if s.name == "feedhub_http_responses_total" and s.labels["status"] == "200"]
    assert served_ok and served_ok[0] >= 1


def test_a_page_kept_only_in_gzip_form_is_served_to_every_client(served: Served) -> None:
    page = served.public / "archive" / "存档" / "1.atom"
    page.parent.mkdir(parents=True, exist_ok=True)
    text = "<feed xmlns='http://www.w3.org/2005/Atom'><title>存档</title></feed>".encode()
    page.with_name("1.atom.gz").write_bytes(gzip.compress(text))
    url = served.url("archive/存档/1.atom")
    status, headers, body = get(url, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == text
    # A client that cannot take gzip gets the document itself, with validators.
    status, headers, body = get(url)
    assert status == 200 and body == text and "Content-Encoding" not in headers
    assert headers["Content-Type"].startswith("application/atom+xml")
    again, _, empty = get(url, {"If-None-Match": headers["ETag"]})
    assert (again, empty) == (304, b"")


def test_a_feed_without_a_sibling_is_compressed_once_with_its_own_validators(
        served: Served) -> None:
    plain = (served.public / "all.atom").read_bytes()
    status, headers, body = get(served.url("all.atom"), {"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == plain
    assert "Accept-Encoding" in headers["Vary"]
    etag = headers["ETag"]
    _, identity, _ = get(served.url("all.atom"))
    tags = [v for k, v in identity.items() if k.lower() == "etag"]
    assert tags and tags[0] != etag  # another representation, another tag
    status, _, empty = get(served.url("all.atom"),
                           {"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert (status, empty) == (304, b"")
    status, _, again = get(served.url("all.atom"), {"Accept-Encoding": "gzip"})
    assert status == 200 and again == body
