"""A real SMTP server for tests, small and slow on demand: it speaks enough of RFC 5321 for
smtplib (Django's SMTP backend), counts connections and keeps the messages it accepts."""

import socketserver
import threading
import time


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        time.sleep(self.server.delay)
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.server.connections += 1
        self.reply("220 fake-smtp ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 fake-smtp")
            elif command == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data)
                self.server.messages.append(b"".join(lines).decode(errors="replace"))
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


class FakeSMTPServer(socketserver.ThreadingTCPServer):
    """Listens on 127.0.0.1 (a free port) from a thread; `delay` seconds before each reply
    make it as slow as a mail server across the internet."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, delay: float = 0.0):
        super().__init__(("127.0.0.1", 0), _Session)
        self.delay = delay
        self.connections = 0
        self.messages: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
