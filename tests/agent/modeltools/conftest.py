"""Fixtures for model-tool tests: a real local HTTP server that serves model files."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SMALL_FILE = "mobilenet_v1_0.25_128_quant.tflite"


@dataclass
class ModelServer:
    """A threaded HTTP server on 127.0.0.1 serving one folder, with a request log."""

    root: Path
    base_url: str = ""
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    sent_bytes: int = 0


def _handler(server: ModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            server.requests.append((self.path, self.headers.get("Range")))
            # /drop/<file>: announce the whole file, send half, hang up.
            drop = self.path.startswith("/drop/")
            name = self.path.removeprefix("/drop/").lstrip("/")
            path = server.root / name
            if "/" in name or not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            start = 0
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if match and not drop:
                start = int(match.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if drop:
                body = body[: len(body) // 2]
            self.wfile.write(body)
            server.sent_bytes += len(body)
            if drop:
                self.close_connection = True

    return Handler


@pytest.fixture()
def model_server(tmp_path: Path, models_dir: Path) -> Iterator[ModelServer]:
    root = tmp_path / "www"
    root.mkdir()
    for model in models_dir.glob("*.tflite"):
        (root / model.name).symlink_to(model)
    data = (models_dir / SMALL_FILE).read_bytes()
    (root / "truncated.tflite").write_bytes(data[: len(data) // 3])
    corrupted = bytearray(data)
    corrupted[len(data) // 2] ^= 0x01  # one flipped bit in the weights
    (root / "corrupted.tflite").write_bytes(bytes(corrupted))
    state = ModelServer(root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)
