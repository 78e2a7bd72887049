"""Jack's request and response objects (Quixote's ``http_request``/``http_response``)."""
from .request import (
    HTTPRequest,
    get_content_type,
    make_safe_filename,
    parse_content_disposition,
    parse_cookies,
    parse_header,
    parse_query,
)
from .response import HTTPResponse, Stream, status_reasons
from .upload import Upload

__all__ = [
    "HTTPRequest", "HTTPResponse", "Stream", "Upload", "status_reasons",
    "get_content_type", "make_safe_filename", "parse_content_disposition",
    "parse_cookies", "parse_header", "parse_query",
]
