"""A stand-in for the collector's model-store download endpoint: a real local HTTP server.

Serves ``GET /api/models/<sha256>/file`` (contract: docs/mqtt-contract.md, "Commands")
for the real models in ``$EDGEBENCH_SHARED/models``, only with ``Authorization: Bearer
<token>``. ``wrong_bytes`` makes it answer a digest with other bytes (a corrupted store or
transfer), ``redirects`` with a 302 to another URL; ``requests`` records every request.
"""

from __future__ import annotations

import hashlib
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TOKEN = "dev-token-0123456789abcdef"
_PATH = re.compile(r"/api/models/([0-9a-f]{64})/file")


class StoreServer:
    """A threaded HTTP server on 127.0.0.1 serving models by sha256, with a bearer check."""

    def __init__(self, models_dir: Path, token: str = TOKEN) -> None:
        self.token = token
        self.models: dict[str, bytes] = {}
        self.names: dict[str, str] = {}  # file name -> sha256
        for path in sorted(models_dir.glob("*.tflite")):
            data = path.read_bytes()
            self.names[path.name] = hashlib.sha256(data).hexdigest()
            self.models[self.names[path.name]] = data
        self.wrong_bytes: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,))

    def start(self) -> StoreServer:
        """Serve in a background thread."""
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        store = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                store.requests.append((self.path, auth))
                if auth != f"Bearer {store.token}":
                    self.send_error(401)
                    return
                match = _PATH.fullmatch(self.path)
                digest = match.group(1) if match else ""
                if digest in store.redirects:
                    self.send_response(302)
                    self.send_header("Location", store.redirects[digest])
                    self.end_headers()
                    return
                body = store.wrong_bytes.get(digest, store.models.get(digest))
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
