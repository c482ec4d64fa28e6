#!/usr/bin/env python3
"""A stand-in for systemd's notification socket: binds a unix datagram socket at argv[1]
and appends every datagram it receives to argv[2], one message a line (the assignments of a
message joined by '|'), until killed. The sd_notify protocol: NOTIFY_SOCKET names the
socket, each datagram is newline-separated VAR=value assignments."""
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a", buffering=1) as f:
    f.write("LISTENING\n")
    while True:
        data = s.recv(65536)
        f.write(data.decode("utf-8", "replace").replace("\n", "|") + "\n")
