"""The store's read caches (per-generation snapshots, decoded objects, the on-disk parse cache) must
never hide a record: every load returns exactly what the files hold."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hnsctl.models.network import Network, NetworkType, Subnet
from hnsctl.models.policy import Policy, PolicyType, Qos
from hnsctl.store import Store


def network(i: int) -> Network:
    prefix = ipaddress.ip_network(f"10.{i}.0.0/24")
    return Network(f"00000000-0000-4000-8000-{i:012d}", f"net{i}", NetworkType.NAT, (Subnet(prefix, prefix.network_address + 1),))


def policy(i: int) -> Policy:
    return Policy(f"00000000-0000-4000-9000-{i:012d}", "e", PolicyType.QOS, Qos(1000 + i), "", i)


def test_loads_after_writes_of_another_kind_keep_every_record(tmp_path: Path) -> None:
    store = Store(tmp_path, lock_timeout=1)
    for i in range(3):
        store.save_network(network(i))
    assert len(store.load_networks()) == 3
    store.save_policy(policy(1))  # bumps the generation: the network snapshot must be rebuilt, not emptied
    assert sorted(n.name for n in store.load_networks()) == ["net0", "net1", "net2"]
    assert len(store.load_networks()) == 3
    store.remove_network(network(1).id)
    assert sorted(n.name for n in store.load_networks()) == ["net0", "net2"]


def test_a_second_process_sees_every_change(tmp_path: Path) -> None:
    writer, reader = Store(tmp_path, lock_timeout=1), Store(tmp_path, lock_timeout=1)
    writer.save_network(network(0))
    assert [n.name for n in reader.load_networks()] == ["net0"]
    writer.save_network(network(1))
    writer.remove_network(network(0).id)
    assert [n.name for n in reader.load_networks()] == ["net1"]
    assert [n.name for n in Store(tmp_path, lock_timeout=1).load_networks()] == ["net1"]  # through the disk cache


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["save-net", "del-net", "save-pol", "del-pol", "load", "reader"]), st.integers(0, 4)),
                max_size=30))
def test_any_sequence_of_writes_and_loads_matches_the_files(tmp_path_factory, steps) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("state")
    store = Store(root, lock_timeout=1)
    nets: set[int] = set()
    pols: set[int] = set()
    for action, i in steps:
        if action == "save-net":
            store.save_network(network(i))
            nets.add(i)
        elif action == "del-net":
            store.remove_network(network(i).id)
            nets.discard(i)
        elif action == "save-pol":
            store.save_policy(policy(i))
            pols.add(i)
        elif action == "del-pol":
            store.remove_policy(policy(i).id)
            pols.discard(i)
        else:
            reader = store if action == "load" else Store(root, lock_timeout=1)
            assert sorted(n.name for n in reader.load_networks()) == sorted(f"net{j}" for j in nets)
            assert sorted(p.sequence for p in reader.load_policies()) == sorted(pols)
    assert sorted(n.name for n in store.load_networks()) == sorted(f"net{j}" for j in nets)


def test_a_symlinked_state_file_is_refused_not_followed(tmp_path: Path) -> None:
    import pytest

    from hnsctl.errors import CorruptState

    store = Store(tmp_path / "state", lock_timeout=1)
    store.save_network(network(0))
    outside = tmp_path / "outside.toml"
    outside.write_text((tmp_path / "state" / "networks" / f"{network(0).id}.toml").read_text().replace("net0", "planted"))
    link = tmp_path / "state" / "networks" / f"{network(1).id}.toml"
    link.symlink_to(outside)
    with pytest.raises(CorruptState, match="symbolic link") as caught:
        Store(tmp_path / "state", lock_timeout=1).load_networks()
    assert caught.value.exit_code == 7


def test_a_state_dir_others_can_write_is_refused(tmp_path: Path) -> None:
    import os

    import pytest

    from hnsctl.errors import CorruptState, ExitCode

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with pytest.raises(CorruptState, match="writable by other users") as caught:
        Store(shared, lock_timeout=1).load_networks()
    assert caught.value.hint and "chmod 700" in caught.value.hint and caught.value.exit_code == ExitCode.CORRUPT_STATE == 7
