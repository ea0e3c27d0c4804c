"""What the test flush command does, programmed by the test: a small HTTP server on loopback.

`tests/e2e/flush_command.py URL` asks it for its plan (output lines, exit status, a pause), and by
asking it also "flushes": the stand-in then runs the Kratos stand-in's courier with the planned
outcome, the way restarting Kratos makes the courier re-attempt its queue.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.standins.kratos import KratosStandIn


@dataclass
class FlushPlan:
    lines: list[str] = field(default_factory=lambda: ["restarting prod_ciam-kratos_1", "prod_ciam-kratos_1"])
    exit: int = 0
    pause_s: float = 0.0
    courier: str | None = "sent"  # what the courier does with its queue: "sent", "abandoned" or nothing


class FlushControl:
    def __init__(self, kratos: KratosStandIn) -> None:
        self.kratos = kratos
        self.plan = FlushPlan()
        self.runs = 0
        self.paths: list[str] = []  # what each run asked for (a `{instance}` in the command shows here)
        self._lock = threading.Lock()
        control = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with control._lock:
                    control.paths.append(self.path)
                body = json.dumps(control._run()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/plan"

    def start(self) -> FlushControl:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _run(self) -> dict[str, Any]:
        with self._lock:
            self.runs += 1
            plan = asdict(self.plan)
        if plan["courier"]:
            self.kratos.run_courier(plan["courier"])
        return plan
