"""A plain file server on 127.0.0.1, as a fixture: where a network downloads media from."""

from collections.abc import Iterator

import pytest


@pytest.fixture
def file_server(tmp_path) -> Iterator[str]:
    """A plain file server on 127.0.0.1 for ``tmp_path``: the public address a network
    downloads media from (Instagram, Threads, Facebook's ``file_url``). Its base URL."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=tmp_path))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
