#!/usr/bin/env python3
"""deployctl's demo web application (standard library only).

GET /        its version, stage and rendered configuration (HTML; JSON with `Accept: application/json`)
GET /health  200 "ok"
Usage: webapp.py CONFIG_FILE   (an INI file with an [app] section: version, stage, port, greeting, log_dir)
"""

from __future__ import annotations

import configparser
import html
import json
import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def load_config(path: Path) -> tuple[dict[str, str], str]:
    parser = configparser.ConfigParser(interpolation=None)
    text = path.read_text(encoding="utf-8")
    parser.read_string(text, source=str(path))
    return dict(parser["app"]), text


def make_handler(config: dict[str, str], raw: str, log: logging.Logger) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = f"webapp/{config.get('version', '?')}"

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._send(200, "ok\n", "text/plain")
            elif self.path == "/":
                if "application/json" in self.headers.get("Accept", ""):
                    self._send(200, json.dumps({"config": config, "raw": raw}) + "\n", "application/json")
                else:
                    title = f"{config.get('greeting', 'webapp')} (version {config.get('version', '?')})"
                    page = (
                        f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>"
                        f"<p>stage: {html.escape(config.get('stage', '?'))}</p><pre>{html.escape(raw)}</pre>\n"
                    )
                    self._send(200, page, "text/html")
            else:
                self._send(404, "not found\n", "text/plain")

        def log_message(self, format: str, *args: object) -> None:
            log.info("%s %s", self.address_string(), format % args)

    return Handler


def main() -> None:
    config_path = Path(sys.argv[1] if len(sys.argv) > 1 else "/etc/webapp/webapp.ini")
    config, raw = load_config(config_path)
    log = logging.getLogger("webapp")
    log_dir = Path(config.get("log_dir", "/var/log/webapp"))
    handler: logging.Handler = (
        logging.FileHandler(log_dir / "access.log") if log_dir.is_dir() else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    address = (config.get("listen", "0.0.0.0"), int(config.get("port", "8080")))  # noqa: S104 - a service
    server = ThreadingHTTPServer(address, make_handler(config, raw, log))
    log.info("webapp %s listening on %s:%s", config.get("version"), *address)
    server.serve_forever()


if __name__ == "__main__":
    main()
