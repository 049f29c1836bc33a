"""A small Language Server Protocol client for tests: it starts `kprules lsp` as a subprocess
and talks JSON-RPC over its stdin and stdout with the protocol's framing (Content-Length
headers), as an editor does. Messages are plain JSON, as on the wire."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

Message = dict[str, Any]


class Client:
    def __init__(self, cwd: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kprules", "lsp", *args], cwd=cwd, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.inbox: queue.Queue[Message] = queue.Queue()
        self.notes: list[Message] = []  # notifications received, in order
        self.next_id = 0
        assert self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.inbox.put(json.loads(stream.read(length)))

    def send(self, message: Message) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        message = self._wait(lambda m: m.get("id") == ident and "method" not in m, timeout)
        assert "error" not in message, message
        return message.get("result")

    def _wait(self, wanted: Any, timeout: float) -> Message:
        end = time.monotonic() + timeout
        while True:
            try:
                message = self.inbox.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise TimeoutError("no answer from the server") from None
            if wanted(message):
                return message
            if "method" in message and "id" in message:  # a request from the server
                self.send({"id": message["id"], "result": None})
            elif "method" in message:
                self.notes.append(message)

    def notification(self, method: str, timeout: float = 30, **match: Any) -> Message:
        """The next notification `method` (already received or to come) whose params match."""
        def fits(m: Message) -> bool:
            return m.get("method") == method and all(
                m.get("params", {}).get(k) == v for k, v in match.items())

        for i, m in enumerate(self.notes):
            if fits(m):
                return self.notes.pop(i)
        return self._wait(fits, timeout)

    def diagnostics(self, uri: str, timeout: float = 30) -> list[Message]:
        params = self.notification("textDocument/publishDiagnostics", timeout, uri=uri)["params"]
        return list(params["diagnostics"])

    def initialize(self, root: Path) -> Any:
        result = self.request("initialize", {
            "processId": None, "rootUri": root.as_uri(), "capabilities": {},
        })
        self.notify("initialized", {})
        return result

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.resolve().as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "kprules", "version": 1,
            "text": path.read_text(encoding="utf-8") if text is None else text}})
        return uri

    def change(self, uri: str, text: str, version: int = 2) -> None:
        self.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": text}]})

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()
