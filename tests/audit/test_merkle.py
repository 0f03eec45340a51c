"""RFC 9162 Merkle tree: published vectors, pymerkle on the same leaves, invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from nucsec.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryTree,
    MerkleError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_at,
    verify_consistency,
    verify_inclusion,
)
from nucsec.errors import IntegrityError
from tests.audit.helpers import load_vectors

V = load_vectors("rfc6962_vectors.json")
LEAVES = [bytes.fromhex(h) for h in V["leaves_hex"]]


def _h(x: str) -> bytes:
    return bytes.fromhex(x)


@pytest.fixture(scope="module")
def tree8() -> MemoryTree:
    tree = MemoryTree()
    for data in LEAVES:
        tree.append(leaf_hash(data))
    return tree


def _rfc_mth(leaves: list[bytes]) -> bytes:
    """MTH straight from the RFC 9162 §2.1.1 recursion (test oracle)."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(_rfc_mth(leaves[:k]), _rfc_mth(leaves[k:]))


def _rfc_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF from RFC 9162 §2.1.4.1 (test oracle)."""
    n = len(leaves)
    if m == n:
        return [] if b else [_rfc_mth(leaves)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*_rfc_subproof(m, leaves[:k], b), _rfc_mth(leaves[k:])]
    return [*_rfc_subproof(m - k, leaves[k:], False), _rfc_mth(leaves[:k])]


# -- published vectors (transparency-dev/merkle) ------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    assert _h(V["empty_root"]) == EMPTY_ROOT
    assert root_at(MemoryTree(), 0) == EMPTY_ROOT


@pytest.mark.parametrize("size", range(1, 9), ids=lambda s: f"size{s}")
def test_roots_match_published_values(tree8: MemoryTree, size: int) -> None:
    assert root_at(tree8, size) == _h(V["roots_by_size"][str(size)])


def test_every_complete_subtree_matches_published_node_hashes(tree8: MemoryTree) -> None:
    keys = [(lv, i) for lv, row in enumerate(V["node_hashes_by_level"]) for i in range(len(row))]
    found = tree8.get_nodes(keys)
    for level, row in enumerate(V["node_hashes_by_level"]):
        assert [found[(level, i)] for i in range(len(row))] == [_h(x) for x in row]


@pytest.mark.parametrize(
    "case", V["inclusion_proofs"], ids=lambda c: f"leaf{c['index']}-of-{c['size']}"
)
def test_inclusion_proofs_match_published_values(tree8: MemoryTree, case: dict) -> None:
    index, size = case["index"], case["size"]
    proof = inclusion_proof(tree8, index, size)
    assert proof == [_h(x) for x in case["path"]]
    root = _h(V["roots_by_size"][str(size)])
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, root)


@pytest.mark.parametrize(
    "case", V["consistency_proofs"], ids=lambda c: f"{c['first']}-to-{c['second']}"
)
def test_consistency_proofs_match_published_values(tree8: MemoryTree, case: dict) -> None:
    first, second = case["first"], case["second"]
    proof = consistency_proof(tree8, first, second)
    assert proof == [_h(x) for x in case["path"]]
    r1, r2 = _h(V["roots_by_size"][str(first)]), _h(V["roots_by_size"][str(second)])
    assert verify_consistency(first, second, r1, r2, proof)
    assert not verify_consistency(first, second, r2, r1, proof)


def _corruptions(proof: list[bytes]) -> list[tuple[str, list[bytes]]]:
    """The corruptions the reference verifier's tests apply to a good proof."""
    out = [("empty", []), ("trailing", [*proof, proof[0]]), ("preceding", [proof[0], *proof])]
    if len(proof) > 1:
        out.append(("truncated", proof[:-1]))
    for i in range(len(proof)):
        flipped = bytearray(proof[i])
        flipped[0] ^= 8
        out.append((f"bit-flip-{i}", [*proof[:i], bytes(flipped), *proof[i + 1 :]]))
    return out


@pytest.mark.parametrize(
    "case", V["inclusion_proofs"], ids=lambda c: f"leaf{c['index']}-of-{c['size']}"
)
def test_corrupted_inclusion_proofs_fail(case: dict) -> None:
    index, size = case["index"], case["size"]
    proof = [_h(x) for x in case["path"]]
    root, leaf = _h(V["roots_by_size"][str(size)]), leaf_hash(LEAVES[index])
    for _name, bad in _corruptions(proof):
        assert not verify_inclusion(leaf, index, size, bad, root)
    for i, n in [(index + 1, size), (index ^ 2, size), (index, size * 2), (index, size // 2)]:
        if (i, n) != (index, size):
            assert not verify_inclusion(leaf, i, n, proof, root)
    assert not verify_inclusion(leaf_hash(b"WrongLeaf"), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, EMPTY_ROOT)


@pytest.mark.parametrize(
    "case", V["consistency_proofs"], ids=lambda c: f"{c['first']}-to-{c['second']}"
)
def test_corrupted_consistency_proofs_fail(case: dict) -> None:
    first, second = case["first"], case["second"]
    proof = [_h(x) for x in case["path"]]
    r1, r2 = _h(V["roots_by_size"][str(first)]), _h(V["roots_by_size"][str(second)])
    for _name, bad in _corruptions(proof):
        assert not verify_consistency(first, second, r1, r2, bad)
    for a, b in [(first - 1, second), (first + 1, second), (first, second * 2)]:
        if 0 < a <= b and (a, b) != (first, second):
            assert not verify_consistency(a, b, r1, r2, proof)


def test_degenerate_consistency_cases() -> None:
    r = leaf_hash(b"x")
    assert verify_consistency(0, 5, EMPTY_ROOT, r, [])
    assert verify_consistency(3, 3, r, r, [])
    assert not verify_consistency(3, 3, r, EMPTY_ROOT, [])
    assert not verify_consistency(3, 3, r, r, [r])
    assert not verify_consistency(4, 3, r, r, [r])


# -- an independent implementation on the same leaves (pymerkle) ----------------------------------


@pytest.fixture(scope="module")
def pair() -> tuple[MemoryTree, InmemoryTree, list[bytes]]:
    data = [f"event {i}".encode() for i in range(70)]
    ours, theirs = MemoryTree(), InmemoryTree()
    for d in data:
        ours.append(leaf_hash(d))
        theirs.append_entry(d)
    return ours, theirs, data


def test_roots_equal_pymerkle_at_every_size(pair: tuple[MemoryTree, InmemoryTree, list]) -> None:
    ours, theirs, _ = pair
    for size in range(1, ours.size + 1):
        assert root_at(ours, size) == theirs.get_root(size)


def test_inclusion_paths_equal_pymerkle(pair: tuple[MemoryTree, InmemoryTree, list]) -> None:
    ours, theirs, _ = pair
    for size in (1, 2, 3, 7, 8, 9, 33, 64, 70):
        for index in range(size):
            path = inclusion_proof(ours, index, size)
            # pymerkle's path starts with the leaf itself, then the RFC 9162 audit path
            assert path == theirs.prove_inclusion(index + 1, size).path[1:]


def test_consistency_proofs_verify_against_pymerkle_roots(
    pair: tuple[MemoryTree, InmemoryTree, list],
) -> None:
    ours, theirs, data = pair
    for first in range(1, 40):
        for second in (first, first + 1, 47, 64, 70):
            if second < first:
                continue
            proof = consistency_proof(ours, first, second)
            assert proof == _rfc_subproof(first, data[:second], True)
            assert verify_consistency(
                first, second, theirs.get_root(first), theirs.get_root(second), proof
            )


# -- invariants -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=90), st.data())
def test_proofs_round_trip_on_any_tree(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree()
    for d in leaves:
        tree.append(leaf_hash(d))
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    first = data.draw(st.integers(1, size), label="first")
    root = root_at(tree, size)
    assert root == _rfc_mth(leaves[:size])
    proof = inclusion_proof(tree, index, size)
    assert verify_inclusion(leaf_hash(leaves[index]), index, size, proof, root)
    if size > 1:
        other = (index + 1) % size
        if leaves[other] != leaves[index]:
            assert not verify_inclusion(leaf_hash(leaves[other]), index, size, proof, root)
    cproof = consistency_proof(tree, first, size)
    assert cproof == _rfc_subproof(first, leaves[:size], True)
    assert verify_consistency(first, size, root_at(tree, first), root, cproof)
    if first < size:
        assert not verify_consistency(first, size, root, root_at(tree, first), cproof)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 300))
def test_frontier_keeps_the_peaks_and_yields_every_interior_node(n: int) -> None:
    frontier, tree, created = Frontier(), MemoryTree(), 0
    for i in range(n):
        h = leaf_hash(i.to_bytes(4, "big"))
        created += len(frontier.append(h))
        tree.append(h)
    assert frontier.root() == root_at(tree, n)
    assert created == n - n.bit_count()  # a tree of n leaves has n - popcount(n) full nodes
    assert Frontier(n, frontier.peaks).root() == frontier.root()


def test_bad_requests_raise_typed_errors(tree8: MemoryTree) -> None:
    with pytest.raises(MerkleError) as exc:
        inclusion_proof(tree8, 8, 8)
    assert exc.value.field == "index"
    with pytest.raises(MerkleError):
        consistency_proof(tree8, 5, 3)
    with pytest.raises(MerkleError):
        root_at(tree8, -1)
    with pytest.raises(IntegrityError):
        root_at(tree8, 9)  # beyond what the store holds
    with pytest.raises(IntegrityError):
        Frontier(3, [EMPTY_ROOT])  # 3 leaves have 2 peaks
