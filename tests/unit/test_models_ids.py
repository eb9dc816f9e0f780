"""models/ids.py: user-facing names, GUIDs, and the kernel names derived from IDs."""

from __future__ import annotations

import re
import string
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hnsctl.errors import ExitCode, InvalidInput
from hnsctl.models import ids
from tests.unit.strategies import names

ALLOWED_FIRST = set(string.ascii_letters + string.digits)
ALLOWED = ALLOWED_FIRST | set("_.-()[]#+,@ ")


def documented_rule(name: str) -> bool:
    """README / error text: 1-64 letters, digits, spaces or _ . - ( ) [ ] # + , @, starting with a letter or
    digit and not ending with a space (Windows names such as `DockerNAT (1)`); not a GUID."""
    if not 1 <= len(name) <= 64 or name[0] not in ALLOWED_FIRST or not set(name) <= ALLOWED or name.endswith(" "):
        return False
    return not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", name)


# Letters of the rule plus characters a user might try (space, slash, unicode letters, quotes, newlines).
NAME_ALPHABET = string.ascii_letters + string.digits + "_.-()" + " /:@'\"é\t\n\r\x00ßİ"


@given(st.text(alphabet=NAME_ALPHABET, max_size=70))
def test_validate_name_accepts_exactly_the_documented_names(name: str) -> None:
    if documented_rule(name):
        assert ids.validate_name(name) == name
    else:
        with pytest.raises(InvalidInput) as info:
            ids.validate_name(name)
        assert info.value.exit_code == ExitCode.USAGE


@given(names)
def test_validate_name_accepts_generated_valid_names(name: str) -> None:
    assert ids.validate_name(name) == name


@pytest.mark.parametrize("name", ["a", "nat", "Web-1", "x" * 64, "1.2_3-4", "A", "DockerNAT (1)", "Default Switch", "vEthernet (nat)"])
def test_validate_name_examples_accepted(name: str) -> None:
    assert ids.validate_name(name) == name


@pytest.mark.parametrize("name", ["", "a ", "a\tb", "a\nb", "-a", "_a", ".a", "x" * 65, "a/b", "ä", "a;rm -rf"])
def test_validate_name_examples_refused_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidInput, match="invalid network name"):
        ids.validate_name(name, field="network name")


@given(st.uuids(), st.booleans())
def test_validate_name_refuses_guid_shaped_names(value: uuid.UUID, upper: bool) -> None:
    """A name that is itself a GUID would be ambiguous with IDs in show/delete."""
    text = str(value).upper() if upper else str(value)
    with pytest.raises(InvalidInput, match="may not look like a GUID"):
        ids.validate_name(text)


@pytest.mark.parametrize("name", ["web\n", "0123\n", "a\nb"])
def test_validate_name_refuses_a_trailing_newline(name: str) -> None:
    """A `$` anchor would let 'web\\n' through; names end up in files, tables and shell scripts."""
    with pytest.raises(InvalidInput):
        ids.validate_name(name)


# ------------------------------------------------------------------ GUIDs


@given(st.uuids())
def test_new_style_ids_are_guids_and_normalise_to_lower_case(value: uuid.UUID) -> None:
    assert ids.is_guid(str(value))
    assert ids.normalize_id(f" {str(value).upper()} ") == str(value)


def test_new_id_is_a_lower_case_guid() -> None:
    value = ids.new_id()
    assert ids.is_guid(value) and value == value.lower()
    assert ids.new_id() != value


@pytest.mark.parametrize(
    "text", ["", "nat", "0123456789abcdef0123456789abcdef", "{12345678-1234-1234-1234-123456789abc}", "12345678-1234-1234-1234-123456789abz"]
)
def test_is_guid_wants_the_36_character_hyphenated_form(text: str) -> None:
    assert not ids.is_guid(text)


# ------------------------------------------------------------------ kernel names and owner tags


@given(st.uuids())
def test_bridge_name_fits_ifnamsiz_and_starts_with_hns(value: uuid.UUID) -> None:
    name = ids.bridge_name(str(value))
    assert len(name.encode()) <= 15  # IFNAMSIZ is 16 including the NUL
    assert name.startswith("hns-")
    assert name == "hns-" + value.hex[:8]
    assert re.fullmatch(r"hns-[0-9a-f]{8}", name)


@given(st.uuids(), st.uuids())
def test_bridge_names_differ_when_the_first_eight_hex_digits_differ(a: uuid.UUID, b: uuid.UUID) -> None:
    assert (ids.bridge_name(str(a)) == ids.bridge_name(str(b))) == (a.hex[:8] == b.hex[:8])


@given(st.uuids())
def test_owner_tag_round_trips(value: uuid.UUID) -> None:
    tag = ids.owner_tag(str(value))
    assert tag.startswith("hnsctl:")
    assert ids.owner_from_tag(tag) == str(value)
    assert ids.owner_from_tag(tag + " rule 3") == str(value)


@pytest.mark.parametrize("tag", [None, "", "hnsctl:", "docker0", "HNSCTL:abc", "xhnsctl:abc"])
def test_owner_from_tag_ignores_foreign_or_empty_tags(tag: str | None) -> None:
    assert ids.owner_from_tag(tag) is None


@pytest.mark.parametrize("tag", ["hnsctl: ", "hnsctl:   \t"])
def test_owner_from_tag_of_prefix_and_whitespace_is_none(tag: str) -> None:
    assert ids.owner_from_tag(tag) is None
