"""Serve a WSGI app from a background thread: for tests, and for `python -m simulator`."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server


@dataclass
class ServerHandle:
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def shutdown(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.server.server_close()


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Start a threaded werkzeug server on host:port (0: any free port) and return at once."""
    server = make_server(host, port, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever,
        # A short poll keeps shutdown() quick, which matters when every test starts a server.
        kwargs={"poll_interval": 0.02},
        name=f"wsgi-{server.server_port}",
        daemon=True,
    )
    thread.start()
    return ServerHandle(server, thread)
