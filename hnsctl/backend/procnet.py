"""Local listeners read from /proc/net (this network namespace), to warn before a port mapping shadows one."""

from __future__ import annotations

from pathlib import Path

TCP_LISTEN = "0A"
UDP_UNCONNECTED = "07"


def local_listeners(protocol: str, proc: Path = Path("/proc/net")) -> set[int]:
    wanted_state = TCP_LISTEN if protocol == "tcp" else UDP_UNCONNECTED
    ports: set[int] = set()
    for name in (protocol, protocol + "6"):
        try:
            lines = (proc / name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == wanted_state:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
