"""The host's resolver configuration, read (never written) for ICS networks' DNS forwarder."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

RESOLV_CONF_ENV = "HNSCTL_RESOLV_CONF"  # another file to read instead of /etc/resolv.conf (tests, unusual hosts)


def host_nameservers() -> list[str]:
    path = Path(os.environ.get(RESOLV_CONF_ENV) or "/etc/resolv.conf")
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            try:
                if ipaddress.ip_address(words[1]).version == 4:
                    found.append(words[1])
            except ValueError:
                continue
    return found
