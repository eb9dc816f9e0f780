"""In-process libnftables (the `libnftables1` library) through ctypes, JSON in and out.

No `nft` process is spawned: one context per hnsctl run, each `run()` is one kernel transaction.
Python bindings are not on PyPI in a usable form for every interpreter, and the C API is five
functions, so hnsctl binds them itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
from typing import Any

from hnsctl.errors import KernelError, PermissionDenied

NFT_CTX_DEFAULT = 0
NFT_CTX_OUTPUT_HANDLE = 1 << 3
NFT_CTX_OUTPUT_JSON = 1 << 4
LIBRARY_NAMES = ("libnftables.so.1", "libnftables.so")


def _load_library() -> ctypes.CDLL:
    for name in (*LIBRARY_NAMES, ctypes.util.find_library("nftables")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    raise KernelError(
        "loading libnftables: the library is not installed",
        hint="install it: apt-get install libnftables1",
    )


class Nftables:
    """A libnftables context with JSON output and buffered output/error streams."""

    def __init__(self) -> None:
        lib = _load_library()
        lib.nft_ctx_new.restype = ctypes.c_void_p
        lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
        lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_output_get_flags.restype = ctypes.c_uint
        lib.nft_ctx_output_get_flags.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]
        lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.nft_run_cmd_from_buffer.restype = ctypes.c_int
        lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
        lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
        lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
        lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._ctx = lib.nft_ctx_new(NFT_CTX_DEFAULT)
        if not self._ctx:
            raise KernelError("creating a libnftables context failed")
        lib.nft_ctx_buffer_output(self._ctx)
        lib.nft_ctx_buffer_error(self._ctx)
        flags = lib.nft_ctx_output_get_flags(self._ctx)
        lib.nft_ctx_output_set_flags(self._ctx, flags | NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE)

    def run(self, commands: list[dict[str, Any]], *, doing: str) -> dict[str, Any]:
        """Run a batch atomically; raise KernelError with nft's own message on failure."""
        output = self._execute(json.dumps({"nftables": commands}).encode(), doing=doing)
        return json.loads(output) if output.strip() else {}

    def _execute(self, payload: bytes, *, doing: str) -> str:
        rc = self._lib.nft_run_cmd_from_buffer(self._ctx, payload)
        output = (self._lib.nft_ctx_get_output_buffer(self._ctx) or b"").decode(errors="replace")
        error = (self._lib.nft_ctx_get_error_buffer(self._ctx) or b"").decode(errors="replace").strip()
        if rc != 0:
            text = " ".join(error.split()) or f"libnftables returned {rc}"
            if "Operation not permitted" in text:
                raise PermissionDenied(f"{doing}: nftables: operation not permitted", hint="run hnsctl as root")
            raise KernelError(f"{doing}: nftables: {text}")
        return output

    def run_text(self, script: str, *, doing: str) -> None:
        """Run commands in nft's own syntax (one transaction), for what the JSON parser cannot take."""
        self._execute(script.encode(), doing=doing)

    def close(self) -> None:
        if self._ctx:
            self._lib.nft_ctx_free(self._ctx)
            self._ctx = None
