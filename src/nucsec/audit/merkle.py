"""RFC 9162 Merkle tree: hashing, roots, inclusion and consistency proofs (pure).

The tree over ``n`` leaves is the one of RFC 9162 §2.1 (Certificate Transparency 2.0, same
as RFC 6962): ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l
|| r)``, split at the largest power of two smaller than ``n``.

Hashes are read through a :class:`HashStore`: it holds the hash of every *complete, aligned*
subtree, addressed by a :data:`NodeKey` ``(level, index)`` (the subtree over leaves
``index * 2**level`` to ``(index + 1) * 2**level - 1``; level 0 are the leaf hashes). Every
range that RFC 9162 hashes is a fold of at most ``log2(n)`` such subtrees, so a proof needs
one batched read of a few dozen hashes whatever the size of the log. :class:`Frontier`
appends leaves and yields the new complete subtrees for the store to persist.

Leaf indexes count from 0, as in RFC 9162.

Example
-------
>>> tree = MemoryTree()
>>> for data in (b"a", b"b", b"c"):
...     _ = tree.append(leaf_hash(data))
>>> proof = inclusion_proof(tree, 2, 3)
>>> verify_inclusion(leaf_hash(b"c"), 2, 3, proof, tree.root())
True
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from nucsec.errors import InputError, IntegrityError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "HashStore",
    "MemoryTree",
    "MerkleError",
    "NodeKey",
    "consistency_proof",
    "frontier_keys",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "range_keys",
    "root_at",
    "root_from_proof",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
MAX_TREE_SIZE = 1 << 62  # far beyond any log; keeps indexes in a signed 64-bit column

#: ``(level, index)`` of a complete aligned subtree
NodeKey = tuple[int, int]

_sha256 = hashlib.sha256


class MerkleError(InputError):
    """A proof request that cannot be answered (index or size out of range)."""

    code = "invalid_proof_request"


class HashStore(Protocol):
    """Where complete-subtree hashes are read from (a table, a dict, ...)."""

    def get_nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        """Return the hash of every key asked for (missing keys are simply absent)."""
        ...


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: ``SHA-256(0x00 || data)``."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: ``SHA-256(0x01 || left || right)``."""
    return _sha256(b"\x01" + left + right).digest()


def _split(width: int) -> int:
    """Largest power of two strictly smaller than ``width`` (``width >= 2``)."""
    return 1 << ((width - 1).bit_length() - 1)


def range_keys(start: int, end: int) -> list[NodeKey]:
    """Complete aligned subtrees covering leaves ``[start, end)``, left to right.

    Valid for the ranges RFC 9162 hashes: ``start`` is a multiple of the largest power
    of two not exceeding ``end - start``... or larger, which holds for every range the
    recursive definition produces.
    """
    keys: list[NodeKey] = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start & ((1 << level) - 1):
            level -= 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def frontier_keys(size: int) -> list[NodeKey]:
    """The complete subtrees ("peaks") of a tree of ``size`` leaves, largest first."""
    return range_keys(0, size)


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Root of adjacent complete subtrees given left to right (RFC 9162 split order)."""
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = _sha256(b"\x01" + h + result).digest()
    return result


def _fetch(store: HashStore, keys: Iterable[NodeKey]) -> Mapping[NodeKey, bytes]:
    wanted = sorted(set(keys))
    found = store.get_nodes(wanted)
    missing = [k for k in wanted if k not in found]
    if missing:
        raise IntegrityError(
            f"hash store has no node {missing[0]} (level, index)", field="node", value=missing[0]
        )
    return found


def _check_size(size: int, name: str = "tree_size") -> None:
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size < MAX_TREE_SIZE:
        raise MerkleError(f"{name} must be an integer in [0, 2**62)", field=name, value=size)


def root_at(store: HashStore, size: int) -> bytes:
    """Root hash of the first ``size`` leaves (``EMPTY_ROOT`` for 0)."""
    _check_size(size)
    if size == 0:
        return EMPTY_ROOT
    keys = frontier_keys(size)
    found = _fetch(store, keys)
    return _fold([found[k] for k in keys])


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose roots form PATH(index, D[0:size]), bottom-up (RFC 9162 §2.1.3.1)."""
    start, end = 0, size
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Leaf ranges whose roots form PROOF(first, D[0:second]), bottom-up (RFC 9162 §2.1.4.1)."""
    start, end, m, complete = 0, second, first, True
    ranges: list[tuple[int, int]] = []
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete = False
    if not complete:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def _hash_ranges(store: HashStore, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    per_range = [range_keys(a, b) for a, b in ranges]
    found = _fetch(store, (k for keys in per_range for k in keys))
    return [_fold([found[k] for k in keys]) for keys in per_range]


def inclusion_proof(store: HashStore, index: int, size: int) -> list[bytes]:
    """Audit path for leaf ``index`` in the tree of ``size`` leaves (bottom-up)."""
    _check_size(size)
    if not isinstance(index, int) or not 0 <= index < size:
        raise MerkleError(
            f"leaf index {index} is not in a tree of {size} leaves", field="index", value=index
        )
    return _hash_ranges(store, _inclusion_ranges(index, size))


def consistency_proof(store: HashStore, first: int, second: int) -> list[bytes]:
    """Consistency proof between the trees of ``first`` and ``second`` leaves."""
    _check_size(first, "first")
    _check_size(second, "second")
    if first > second:
        raise MerkleError(
            f"first size {first} is larger than second size {second}", field="first", value=first
        )
    if first == 0 or first == second:
        return []
    return _hash_ranges(store, _consistency_ranges(first, second))


def _valid_hash(h: object) -> bool:
    return isinstance(h, bytes) and len(h) == HASH_SIZE


def root_from_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """Root implied by an inclusion proof (RFC 9162 §2.1.3.2), or None if malformed."""
    if not (0 <= index < size) or not _valid_hash(leaf) or not all(map(_valid_hash, proof)):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` in the tree of ``size`` with ``root``."""
    computed = root_from_proof(leaf, index, size, proof)
    return computed is not None and _valid_hash(root) and hmac.compare_digest(computed, root)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows the tree of ``first`` leaves is a prefix of ``second``'s.

    RFC 9162 §2.1.4.2; equal sizes need an empty proof and equal roots, and the empty
    tree is a prefix of every tree (as in the transparency-dev reference verifier).
    """
    if not (0 <= first <= second) or not all(map(_valid_hash, proof)):
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof or not (_valid_hash(first_root) and _valid_hash(second_root)):
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(fr, first_root) and hmac.compare_digest(sr, second_root)


class Frontier:
    """The right edge of a growing tree: append leaves, get the new complete subtrees.

    ``peaks`` are the hashes of :func:`frontier_keys` ``(size)``, largest subtree first.
    """

    __slots__ = ("_peaks", "size")

    def __init__(self, size: int = 0, peaks: Sequence[bytes] = ()) -> None:
        _check_size(size, "size")
        if len(peaks) != size.bit_count() or not all(map(_valid_hash, peaks)):
            raise IntegrityError(
                f"a tree of {size} leaves has {size.bit_count()} peaks, got {len(peaks)}",
                field="peaks",
                value=len(peaks),
            )
        self.size = size
        self._peaks = list(peaks)

    @property
    def peaks(self) -> list[bytes]:
        return list(self._peaks)

    def root(self) -> bytes:
        """Root hash of the tree as it stands."""
        return _fold(self._peaks) if self._peaks else EMPTY_ROOT

    def append(self, leaf: bytes) -> list[tuple[NodeKey, bytes]]:
        """Add one leaf hash; return the interior subtrees it completes (level >= 1)."""
        peaks = self._peaks
        index = self.size
        created: list[tuple[NodeKey, bytes]] = []
        node, level = leaf, 0
        while index & 1:
            node = _sha256(b"\x01" + peaks.pop() + node).digest()
            index >>= 1
            level += 1
            created.append(((level, index), node))
        peaks.append(node)
        self.size += 1
        return created

    def extend(self, leaves: Iterable[bytes]) -> list[tuple[NodeKey, bytes]]:
        """Append many leaf hashes; return every interior subtree they complete."""
        created: list[tuple[NodeKey, bytes]] = []
        for leaf in leaves:
            created.extend(self.append(leaf))
        return created


class MemoryTree:
    """An in-memory :class:`HashStore` that grows: for tests, tools and benchmarks."""

    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]
        self._frontier = Frontier()

    @property
    def size(self) -> int:
        return self._frontier.size

    def append(self, leaf: bytes) -> int:
        """Append a leaf hash; return its index."""
        index = self._frontier.size
        self._levels[0].append(leaf)
        for (level, _), h in self._frontier.append(leaf):
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(h)
        return index

    def root(self, size: int | None = None) -> bytes:
        return self._frontier.root() if size is None else root_at(self, size)

    def get_nodes(self, keys: Sequence[NodeKey]) -> dict[NodeKey, bytes]:
        out: dict[NodeKey, bytes] = {}
        levels = self._levels
        for level, index in keys:
            if level < len(levels) and 0 <= index < len(levels[level]):
                out[(level, index)] = levels[level][index]
        return out
