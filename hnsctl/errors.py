"""Typed errors and the exit-code table that scripts depend on.

Every failure a user can cause or meet is an `HnsError` subclass; the CLI maps it to one line on
stderr and the exit code below. The HNS/HCN symbolic names are kept so that administrators who
know Windows recognise the failure (`HCN_E_NETWORK_ALREADY_EXISTS` and friends).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes. A contract: documented in README, `--help` and docs/exit-codes.md."""

    OK = 0
    ERROR = 1
    USAGE = 2
    NOT_FOUND = 3
    CONFLICT = 4
    KERNEL = 5
    LOCKED = 6
    CORRUPT_STATE = 7
    INTERRUPTED = 130


# HCN HRESULTs (facility 0x803b) that hnsctl reports; see docs/exit-codes.md.
HCN_CODES: dict[str, int] = {
    "HCN_E_NETWORK_NOT_FOUND": 0x803B0001,
    "HCN_E_ENDPOINT_NOT_FOUND": 0x803B0002,
    "HCN_E_SUBNET_NOT_FOUND": 0x803B0005,
    "HCN_E_ADAPTER_NOT_FOUND": 0x803B0006,
    "HCN_E_PORT_NOT_FOUND": 0x803B0007,
    "HCN_E_POLICY_NOT_FOUND": 0x803B0008,
    "HCN_E_INVALID_NETWORK": 0x803B000A,
    "HCN_E_INVALID_NETWORK_TYPE": 0x803B000B,
    "HCN_E_INVALID_ENDPOINT": 0x803B000C,
    "HCN_E_INVALID_POLICY": 0x803B000D,
    "HCN_E_INVALID_POLICY_TYPE": 0x803B000E,
    "HCN_E_NETWORK_ALREADY_EXISTS": 0x803B0010,
    "HCN_E_POLICY_ALREADY_EXISTS": 0x803B0012,
    "HCN_E_PORT_ALREADY_EXISTS": 0x803B0013,
    "HCN_E_ENDPOINT_ALREADY_ATTACHED": 0x803B0014,
    "HCN_E_REQUEST_UNSUPPORTED": 0x803B0015,
    "HCN_E_MAPPING_NOT_SUPPORTED": 0x803B0016,
    "HCN_E_GUID_CONVERSION_FAILURE": 0x803B0019,
    "HCN_E_INVALID_JSON": 0x803B001B,
    "HCN_E_INVALID_IP": 0x803B001E,
    "HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION": 0x803B000F,
    "HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS": 0x803B002B,
    "HCN_E_ENTITY_HAS_REFERENCES": 0x803B002C,
    "HCN_E_INVALID_INTERNAL_PORT": 0x803B002D,
    "HCN_E_NAMESPACE_ATTACH_FAILED": 0x803B002E,
    "HCN_E_ENDPOINT_NOT_ATTACHED": 0x803B0034,
    "HCN_E_ADDR_INVALID_OR_RESERVED": 0x803B002F,
    "HCN_E_INVALID_PREFIX": 0x803B0030,
    "HCN_E_INVALID_SUBNET": 0x803B0032,
    "ERROR_NOT_FOUND": 0x80070490,
    "E_ACCESSDENIED": 0x80070005,
    "E_FAIL": 0x80004005,
}


class HnsError(Exception):
    """Base of every expected failure.

    `message` reads as "<doing what>: <cause>"; `hint` is the next step for the user, if any.
    """

    exit_code: ExitCode = ExitCode.ERROR
    default_hns_name: str = "E_FAIL"

    def __init__(self, message: str, *, hint: str | None = None, hns_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.hns_name = hns_name or self.default_hns_name

    @property
    def hns_code(self) -> int:
        return HCN_CODES.get(self.hns_name, HCN_CODES["E_FAIL"])

    def to_json(self) -> dict[str, object]:
        """The HNS V1 error envelope plus hnsctl's exit code, for `-o json` error output."""
        body: dict[str, object] = {
            "Success": False,
            "Error": self.message,
            "ErrorCode": f"0x{self.hns_code:08x}",
            "ErrorName": self.hns_name,
            "ExitCode": int(self.exit_code),
        }
        if self.hint:
            body["Hint"] = self.hint
        return body


class InvalidInput(HnsError):
    """The request is malformed: bad CIDR, bad name, unsupported type. Nothing was changed."""

    exit_code = ExitCode.USAGE
    default_hns_name = "HCN_E_INVALID_NETWORK"


class NotFound(HnsError):
    exit_code = ExitCode.NOT_FOUND
    default_hns_name = "HCN_E_NETWORK_NOT_FOUND"


class Conflict(HnsError):
    """Already exists, overlaps something, or is still in use."""

    exit_code = ExitCode.CONFLICT
    default_hns_name = "HCN_E_NETWORK_ALREADY_EXISTS"


class KernelError(HnsError):
    """The kernel refused an operation (netlink errno, nftables error)."""

    exit_code = ExitCode.KERNEL
    default_hns_name = "E_FAIL"


class PermissionDenied(HnsError):
    """Not root / no CAP_NET_ADMIN: a plain, early refusal instead of a netlink EPERM later."""

    exit_code = ExitCode.ERROR
    default_hns_name = "E_ACCESSDENIED"


class StateLocked(HnsError):
    exit_code = ExitCode.LOCKED
    default_hns_name = "E_FAIL"


class CorruptState(HnsError):
    exit_code = ExitCode.CORRUPT_STATE
    default_hns_name = "E_FAIL"


class MultipleErrors(HnsError):
    """Several independent targets failed (e.g. `network delete A B C`); exits with the worst code."""

    def __init__(self, errors: list[HnsError]) -> None:
        self.errors = errors
        worst = max(errors, key=lambda e: int(e.exit_code))
        super().__init__("; ".join(e.message for e in errors), hint=worst.hint, hns_name=worst.hns_name)
        self.exit_code = worst.exit_code
