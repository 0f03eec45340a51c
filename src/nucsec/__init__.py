"""nucsec — the platform of the Japan–US Nuclear Security Working Group.

Sub-packages, one per domain (see ``docs/architecture.md``):

- :mod:`nucsec.markings` — protective labels, national schemes, equivalence tables, banners
- :mod:`nucsec.policy` — the reference monitor (``decide``) and its SQL twin
- :mod:`nucsec.audit` — append-only Merkle log, checkpoints, proofs
- :mod:`nucsec.store` — SQLAlchemy schema, repositories, migrations
- :mod:`nucsec.forensics` — spectra, chronometry, library comparison
- :mod:`nucsec.incidents` — incident register and IAEA categorisation
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
