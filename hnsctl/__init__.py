"""hnsctl: the HNS object model (networks, endpoints, policies) on the Linux kernel."""

__version__ = "0.1.0"
