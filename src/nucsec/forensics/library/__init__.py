"""Nuclear forensics library: compare a sample with known material, open set.

Pure core (no database, network, clock or randomness not handed in): the signature
vocabulary, entries and samples, the columnar index, the comparison (per-signature and
multivariate tests with a stated false-exclusion rate; "none of the library" as a real
answer), the partner answer that carries only conclusions, import/export, the demo library
of certified reference materials and a seeded synthetic-library generator. See
``docs/library.md``.
"""
