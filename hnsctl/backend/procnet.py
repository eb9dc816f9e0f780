"""Is a local port taken? Asked by binding to it, to warn before a port mapping shadows a listener.

A bind test costs microseconds, where reading /proc/net/tcp walks every socket of the namespace.
SO_REUSEADDR lets the bind succeed over TIME_WAIT leftovers, so only a live listener (tcp) or a bound
socket (udp) answers "in use". The dual-stack wildcard covers IPv4 and IPv6 listeners alike.
"""

from __future__ import annotations

import errno
import socket


def port_in_use(protocol: str, port: int) -> bool:
    kind = socket.SOCK_STREAM if protocol == "tcp" else socket.SOCK_DGRAM
    for family, address in ((socket.AF_INET6, "::"), (socket.AF_INET, "0.0.0.0")):
        try:
            probe = socket.socket(family, kind)
        except OSError:
            continue  # no IPv6 in this namespace: the IPv4 probe decides
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            probe.bind((address, port))
            return False
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            if family == socket.AF_INET:
                return False
        finally:
            probe.close()
    return False
