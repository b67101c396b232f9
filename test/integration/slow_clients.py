#!/usr/bin/env python3
"""Raw-socket HTTP clients that misbehave on purpose, for slow_clients_test.sh.

  hold PORT MODE COUNT SECONDS   keeps COUNT connections open for SECONDS:
      headers  a request head sent one byte a second (slowloris)
      body     POSTs announcing a 1e9-byte body sent one byte every 0.5 s,
               going on after an answer until the server closes
      idle     nothing sent at all
    A connection the server closes is opened again. Prints "ready" once all
    are open, then at the end "closed=N" (connections the server closed).
  trickle PORT PATH SECONDS      POSTs to PATH a 1000-byte body one byte every
    0.2 s for at most SECONDS; prints "sending" once the head is sent, then
    the status code the server answers with, or "none".
  bigbody PORT PATH BYTES        POSTs BYTES zero bytes as fast as the server
    reads them; prints the status code, or "none".
  bighead PORT BYTES             GET /healthz with a header line of BYTES bytes,
    sent until the server stops reading; prints the status code (400 or 413),
    or "reset"
    when the server's close reset the connection before the answer was read.
Every loop ends by its deadline.
"""
import socket
import sys
import time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s


HEADS = {
    "headers": b"GET /metrics HTTP/1.1\r\nHost: a\r\nX-Slow: ",
    "body": b"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n",
    "idle": b"",
}
BODY_PATHS = [b"/metrics", b"/-/explain?source=app", b"/nowhere", b"/healthz"]


class Slow:
    def __init__(self, port, mode, index):
        self.port, self.mode, self.index = port, mode, index
        self.open()

    def open(self):
        self.sock = connect(self.port)
        head = HEADS[self.mode]
        if self.mode == "body":
            head = head % BODY_PATHS[self.index % len(BODY_PATHS)]
        if head:
            self._send(head)

    def _send(self, data):
        self.sock.setblocking(True)
        self.sock.settimeout(2)
        self.sock.sendall(data)
        self.sock.setblocking(False)

    def alive(self):
        """False once the server has closed or cut the connection."""
        try:
            # A body goes on trickling after an early answer, as an attacker's
            # would; only the end of the connection ends it.
            data = self.sock.recv(65536)
            return self.mode == "body" and data != b""
        except BlockingIOError:
            return True
        except OSError:
            return False

    def tick(self):
        if self.mode == "idle":
            return
        try:
            self.sock.send(b"a")
        except OSError:
            pass


def hold(port, mode, count, seconds):
    clients = [Slow(port, mode, i) for i in range(count)]
    print("ready", flush=True)
    interval = 1.0 if mode == "headers" else 0.5
    closed = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for c in clients:
            if not c.alive():
                closed += 1
                c.sock.close()
                try:
                    c.open()
                except OSError:
                    pass
            else:
                c.tick()
        time.sleep(interval)
    print("closed=%d" % closed, flush=True)


def status_of(sock, deadline):
    data = b""
    while b"\r\n" not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(4096)
        except BlockingIOError:
            time.sleep(0.05)
            continue
        except ConnectionResetError:
            if data:
                break
            raise
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    parts = data.split(b" ")
    return parts[1].decode() if len(parts) > 1 and data.startswith(b"HTTP/") else "none"


def trickle(port, path, seconds):
    sock = connect(port)
    sock.setblocking(True)
    sock.sendall(b"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" % path.encode())
    print("sending", flush=True)
    sock.setblocking(False)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sock.recv(1, socket.MSG_PEEK)
            break  # an answer, or the end
        except BlockingIOError:
            pass
        except OSError:
            break
        try:
            sock.send(b"a")
        except OSError:
            break
        time.sleep(0.2)
    print(status_of(sock, time.monotonic() + 2), flush=True)


def bigbody(port, path, size):
    sock = connect(port)
    sock.setblocking(True)
    sock.settimeout(30)
    sock.sendall(b"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n" % (path.encode(), size))
    chunk = bytes(1 << 20)
    sent = 0
    try:
        while sent < size:
            sent += sock.send(chunk[: min(len(chunk), size - sent)])
    except OSError:
        pass
    sock.setblocking(False)
    print(status_of(sock, time.monotonic() + 10), flush=True)


def bighead(port, size):
    sock = connect(port)
    sock.setblocking(True)
    sock.settimeout(10)
    data = b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * size + b"\r\n\r\n"
    try:
        sock.sendall(data)
    except OSError:
        pass  # the server answered and closed before reading it all
    sock.setblocking(False)
    try:
        status = status_of(sock, time.monotonic() + 10)
    except ConnectionResetError:
        status = "reset"
    print(status, flush=True)


def main():
    command, port = sys.argv[1], int(sys.argv[2])
    if command == "hold":
        hold(port, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif command == "trickle":
        trickle(port, sys.argv[3], float(sys.argv[4]))
    elif command == "bighead":
        bighead(port, int(sys.argv[3]))
    elif command == "bigbody":
        bigbody(port, sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
