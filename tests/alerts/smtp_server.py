"""A real SMTP server on 127.0.0.1 for tests (the standard library's socketserver, one
thread per connection): it takes every message except to the addresses it is told to
refuse, answering as a mail server does: at RCPT (550 for an unknown mailbox) or after
DATA (554 for a message it will not take)."""

from __future__ import annotations

import contextlib
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Mailbox:
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> "550 ..."
    refuse_data: dict[str, str] = field(default_factory=dict)  # address -> "554 ..."
    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    # Hang up on the connection after this many messages were taken (a server that
    # goes away mid-send); None: never.
    drop_after: int | None = None


class _Session(socketserver.StreamRequestHandler):
    timeout = 10

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox
        recipients: list[str] = []
        self.reply("220 localhost test SMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                recipients = []
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>").split(">")[0]
                if address in box.refuse_rcpt:
                    self.reply(box.refuse_rcpt[address])
                else:
                    recipients.append(address)
                    self.reply("250 2.1.5 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                refused = [box.refuse_data[a] for a in recipients if a in box.refuse_data]
                if box.drop_after is not None and len(box.received) >= box.drop_after:
                    return  # gone without an answer
                if refused:
                    self.reply(refused[0])
                else:
                    box.received.append((recipients, body))
                    self.reply("250 2.0.0 Queued")
                recipients = []
            elif verb == "RSET":
                recipients = []
                self.reply("250 2.0.0 OK")
            elif verb == "NOOP":
                self.reply("250 2.0.0 OK")
            elif verb == "QUIT":
                self.reply("221 2.0.0 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not recognised")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextlib.contextmanager
def smtp_server(mailbox: Mailbox) -> Iterator[int]:
    """Serves `mailbox` on 127.0.0.1 while the block runs; yields the port."""
    server = _Server(("127.0.0.1", 0), _Session)
    server.mailbox = mailbox
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def sending_to(settings, mailbox: Mailbox) -> Iterator[Mailbox]:
    """Django's SMTP backend pointed at a server serving `mailbox` (pytest's `settings`)."""
    with smtp_server(mailbox) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 10
        yield mailbox
