"""Request and response through a real waitress server on 127.0.0.1: uploads, chunked
request bodies, limits, streamed responses, UTF-8 paths, CR/LF refused."""
from __future__ import annotations

import hashlib
import http.client
import json
import os

from harness import serving

from jack_runtime import App, get_field, get_request, get_response
from jack_runtime.directory import Directory
from jack_runtime.http import Stream, Upload


class Root(Directory):
    _q_exports = ["fields", "stream", "go", "path"]

    def fields(self):
        out = {}
        for name, value in get_request().form.items():
            if isinstance(value, Upload):
                data = value.read()
                out[name] = {"filename": value.orig_filename, "base": value.base_filename,
                             "type": value.content_type, "size": value.get_size(),
                             "sha1": hashlib.sha1(data).hexdigest()}
            else:
                out[name] = value
        get_response().set_content_type("application/json")
        return json.dumps(out, sort_keys=True)

    def stream(self):
        return Stream(("chunk-%d;" % i for i in range(500)))

    def go(self):
        return get_response().redirect("http://example.org/" + get_field("next", ""))

    def _q_lookup(self, name):
        return lambda: "name=%s path=%s url=%s" % (name, get_request().get_path(),
                                                    get_request().get_url())


def request(port: int, method: str, path: str, body=None, headers=None, chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def multipart(parts, boundary="jackBOUNDARYjack"):
    out = []
    for name, filename, data in parts:
        out.append(b"--%s\r\n" % boundary.encode())
        disp = 'Content-Disposition: form-data; name="%s"' % name
        if filename:
            disp += '; filename="%s"' % filename
        out.append(disp.encode("utf-8") + b"\r\nContent-Type: application/octet-stream\r\n\r\n")
        out.append(data + b"\r\n")
    out.append(b"--%s--\r\n" % boundary.encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def test_multipart_upload_through_waitress() -> None:
    blob = os.urandom(300_000)
    body, ctype = multipart([("title", None, "héllo".encode()), ("file", "C:\\docs\\résumé.bin", blob),
                             ("title", None, b"second")])
    with serving(App(Root())) as port:
        status, headers, data = request(port, "POST", "/fields?q=1", body, {"Content-Type": ctype})
    assert status == 200, data
    result = json.loads(data)
    assert result["q"] == "1"
    assert result["title"] == ["héllo", "second"]
    assert result["file"] == {"filename": "C:\\docs\\résumé.bin", "base": "résumé.bin",
                              "type": "application/octet-stream", "size": len(blob),
                              "sha1": hashlib.sha1(blob).hexdigest()}


def test_chunked_request_body_through_waitress() -> None:
    def gen():
        yield b"a=1&b=two"
        yield b"+words&c=%C3%A9"
    with serving(App(Root())) as port:
        status, _, data = request(port, "POST", "/fields", gen(),
                                  {"Content-Type": "application/x-www-form-urlencoded"}, chunked=True)
    assert status == 200
    assert json.loads(data) == {"a": "1", "b": "two words", "c": "é"}


def test_oversized_body_is_a_413_page() -> None:
    app = App(Root(), max_request_body_size=1000)
    with serving(app) as port:
        status, headers, data = request(port, "POST", "/fields", b"a=" + b"x" * 5000,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
        ok_status, _, ok_data = request(port, "POST", "/fields", b"a=" + b"x" * 500,
                                        {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413 and b"Request entity too large" in data
    assert ok_status == 200 and len(json.loads(ok_data)["a"]) == 500


def test_malformed_multipart_is_a_400_page() -> None:
    with serving(App(Root())) as port:
        status, _, data = request(port, "POST", "/fields", b"--x\r\ngarbage",
                                  {"Content-Type": "multipart/form-data; boundary=x"})
    assert status == 400 and b"Invalid request" in data


def test_streamed_response_is_framed_by_the_server() -> None:
    with serving(App(Root())) as port:
        status, headers, data = request(port, "GET", "/stream")
    assert status == 200
    assert data == "".join("chunk-%d;" % i for i in range(500)).encode()
    names = [n.lower() for n, _ in headers]
    assert names.count("date") == 1
    assert "content-length" not in names  # waitress chose the framing itself


def test_utf8_path_through_waitress() -> None:
    with serving(App(Root())) as port:
        status, _, data = request(port, "GET", "/caf%C3%A9")
        bad_status, _, _ = request(port, "GET", "/caf%E9")
    assert status == 200
    assert data.decode("utf-8") == "name=café path=/café url=http://127.0.0.1:%d/caf%%C3%%A9" % port
    assert bad_status == 400


def test_crlf_redirect_target_is_a_400_never_a_header() -> None:
    with serving(App(Root())) as port:
        status, headers, _ = request(port, "GET", "/go?next=x%0d%0aSet-Cookie:%20evil=1")
        ok_status, ok_headers, _ = request(port, "GET", "/go?next=fine")
    assert status == 400
    assert not any(n.lower() == "set-cookie" for n, _ in headers)
    assert ok_status == 302 and ("Location", "http://example.org/fine") in ok_headers
