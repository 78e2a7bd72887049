"""Shared by the html test modules: every test runs with markupsafe's C escape and with
the pure-Python one (``from html_escapes import escape_function``, an autouse fixture)."""

from typing import Any

import pytest

from jack_runtime.html import text


@pytest.fixture(autouse=True, scope="module", params=["native", "python"])
def escape_function(request: Any) -> Any:
    fn = text._native_escape() if request.param == "native" else text._escape_py
    if fn is None:
        pytest.skip("markupsafe's C speedups are not installed")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(text, "_esc", fn)
        yield fn
