"""A minimal vhost-user back-end with a chosen memory-slot limit, written from the vhost-user spec.

Why: QEMU asks a vhost-user back-end how many memory regions it can map
(VHOST_USER_GET_MAX_MEM_SLOTS, only with protocol feature CONFIGURE_MEM_SLOTS; without it QEMU
assumes 8). Real back-ends answer 8, 32 or 509; to verify every limit (8, 32, 508, 509, ...) we
need one that answers whatever we say. It answers the handshake QEMU performs in vhost_dev_init
(features, protocol features, owner, queue number, max memory slots), accepts and closes the
memory table and vring file descriptors, and processes no virtqueue: no guest ever runs.

Usage: python -m tui.qemu.vhost_user_backend --socket PATH --max-mem-slots N
       [--no-configure-mem-slots] [--config] [--queues N]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import struct
import sys
import threading
from collections.abc import Sequence

# Front-end message ids (docs/interop/vhost-user.rst, "Front-end message types").
GET_FEATURES = 1
SET_FEATURES = 2
SET_OWNER = 3
RESET_OWNER = 4
SET_MEM_TABLE = 5
GET_VRING_BASE = 11
GET_PROTOCOL_FEATURES = 15
SET_PROTOCOL_FEATURES = 16
GET_QUEUE_NUM = 17
IOTLB_MSG = 22
GET_CONFIG = 24
POSTCOPY_END = 30
GET_MAX_MEM_SLOTS = 36
ADD_MEM_REG = 37
REM_MEM_REG = 38
GET_STATUS = 40

VERSION = 0x1
FLAG_REPLY = 1 << 2
FLAG_NEED_REPLY = 1 << 3
HEADER = struct.Struct("=III")
MAX_PAYLOAD = 4096 + 8 * 40
MAX_FDS = 32  # QEMU sends at most VHOST_MEMORY_BASELINE_NREGIONS (8) fds with SET_MEM_TABLE

F_PROTOCOL_FEATURES = 1 << 30
F_VERSION_1 = 1 << 32
PROTOCOL_F_MQ = 1 << 0
PROTOCOL_F_CONFIG = 1 << 9
PROTOCOL_F_CONFIGURE_MEM_SLOTS = 1 << 15


class Backend:
    """Per-process settings and what QEMU told us (kept for debugging and tests)."""

    def __init__(
        self,
        max_mem_slots: int,
        configure_mem_slots: bool,
        queues: int,
        verbose: bool = False,
        config: bool = False,
    ) -> None:
        self.max_mem_slots = max_mem_slots
        self.configure_mem_slots = configure_mem_slots
        self.config = config
        self.queues = queues
        self.verbose = verbose
        self.regions: dict[tuple[int, int], int] = {}

    @property
    def features(self) -> int:
        """Device features: VERSION_1 plus the bit that enables protocol features."""
        return F_VERSION_1 | F_PROTOCOL_FEATURES

    @property
    def protocol_features(self) -> int:
        """MQ always; CONFIG when asked (vhost-user-blk/-vsock need GET_CONFIG, other devices
        make QEMU warn about it); CONFIGURE_MEM_SLOTS unless disabled (QEMU then uses 8)."""
        value = PROTOCOL_F_MQ
        if self.config:
            value |= PROTOCOL_F_CONFIG
        if self.configure_mem_slots:
            value |= PROTOCOL_F_CONFIGURE_MEM_SLOTS
        return value

    def log(self, text: str) -> None:
        """Trace to stderr when --verbose."""
        if self.verbose:
            print(f"vhost-user-backend: {text}", file=sys.stderr, flush=True)

    def reply_for(self, request: int, payload: bytes) -> bytes | None:
        """The reply payload a request needs by itself, or None if it has none."""
        if request == GET_FEATURES:
            return struct.pack("=Q", self.features)
        if request == GET_PROTOCOL_FEATURES:
            return struct.pack("=Q", self.protocol_features)
        if request == GET_QUEUE_NUM:
            return struct.pack("=Q", self.queues)
        if request == GET_MAX_MEM_SLOTS:
            return struct.pack("=Q", self.max_mem_slots)
        if request == GET_VRING_BASE:
            index = struct.unpack_from("=I", payload)[0] if len(payload) >= 4 else 0
            return struct.pack("=II", index, 0)
        if request == GET_CONFIG:
            return payload  # same size, zeroed contents are fine without a guest
        if request in (IOTLB_MSG, POSTCOPY_END, GET_STATUS):
            return struct.pack("=Q", 0)
        return None

    def track(self, request: int, payload: bytes) -> None:
        """Remember the regions QEMU maps, so a trace shows what it counted."""
        if request == SET_MEM_TABLE and len(payload) >= 8:
            count = struct.unpack_from("=I", payload)[0]
            self.regions = {}
            for index in range(min(count, 8)):
                gpa, size, _uaddr, _off = struct.unpack_from("=QQQQ", payload, 8 + 32 * index)
                self.regions[(gpa, size)] = index
            self.log(f"SET_MEM_TABLE {count} regions")
        elif request == ADD_MEM_REG and len(payload) >= 40:
            gpa, size = struct.unpack_from("=QQ", payload, 8)
            self.regions[(gpa, size)] = len(self.regions)
            self.log(f"ADD_MEM_REG gpa=0x{gpa:x} size=0x{size:x} -> {len(self.regions)}")
        elif request == REM_MEM_REG and len(payload) >= 40:
            gpa, size = struct.unpack_from("=QQ", payload, 8)
            self.regions.pop((gpa, size), None)
            self.log(f"REM_MEM_REG gpa=0x{gpa:x} size=0x{size:x} -> {len(self.regions)}")


def _recv_exact(conn: socket.socket, size: int, fds: list[int]) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk, new_fds, _flags, _addr = socket.recv_fds(conn, size - len(data), MAX_FDS)
        fds.extend(new_fds)
        if not chunk:
            return None
        data += chunk
    return data


def serve_connection(backend: Backend, conn: socket.socket) -> None:
    """Answer one front-end until it disconnects."""
    with conn:
        while True:
            fds: list[int] = []
            try:
                header = _recv_exact(conn, HEADER.size, fds)
                if header is None:
                    return
                request, flags, size = HEADER.unpack(header)
                payload = _recv_exact(conn, size, fds) if size else b""
                if payload is None:
                    return
            except OSError:
                return
            finally:
                for fd in fds:
                    os.close(fd)
            backend.log(f"request {request} flags 0x{flags:x} size {size}")
            backend.track(request, payload)
            reply = backend.reply_for(request, payload)
            if reply is None and flags & FLAG_NEED_REPLY:
                reply = struct.pack("=Q", 0)  # REPLY_ACK: success
            if reply is not None:
                try:
                    conn.sendall(HEADER.pack(request, VERSION | FLAG_REPLY, len(reply)) + reply)
                except OSError:
                    return


def serve(backend: Backend, path: str) -> None:
    """Listen on `path` and serve every front-end that connects (reconnects included)."""
    if os.path.exists(path):
        os.unlink(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(8)
    except OSError as exc:
        listener.close()
        raise SystemExit(
            f"vhost-user-backend: cannot listen on {path}: {exc.strerror or exc}"
        ) from None
    backend.log(f"listening on {path}")
    try:
        while True:
            conn, _addr = listener.accept()
            threading.Thread(target=serve_connection, args=(backend, conn), daemon=True).start()
    finally:
        listener.close()
        try:
            os.unlink(path)
        except OSError:
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m tui.qemu.vhost_user_backend`."""
    parser = argparse.ArgumentParser(
        prog="python -m tui.qemu.vhost_user_backend", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--socket", required=True, help="unix socket path to listen on")
    parser.add_argument(
        "--max-mem-slots",
        type=int,
        default=509,
        help="reply to VHOST_USER_GET_MAX_MEM_SLOTS (default 509)",
    )
    parser.add_argument(
        "--no-configure-mem-slots",
        action="store_true",
        help="do not offer CONFIGURE_MEM_SLOTS (QEMU then assumes 8 slots)",
    )
    parser.add_argument("--queues", type=int, default=16, help="reply to GET_QUEUE_NUM")
    parser.add_argument(
        "--config",
        action="store_true",
        help="offer PROTOCOL_F_CONFIG and answer GET_CONFIG with zeros "
        "(vhost-user-blk and -vsock need it)",
    )
    parser.add_argument("--verbose", action="store_true", help="trace requests to stderr")
    args = parser.parse_args(argv)
    backend = Backend(
        args.max_mem_slots, not args.no_configure_mem_slots, args.queues, args.verbose, args.config
    )

    def _stop(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    # Exit (and remove the socket) when the process that started us goes, however it ends.
    from tui.qemu.launch import set_pdeathsig

    set_pdeathsig(signal.SIGTERM)
    try:
        serve(backend, args.socket)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
