"""Nuclear forensics: gamma spectrometry, radiochronometry and the forensics library."""

#: the package's public modules (each with its own ``__all__``); import them by name
__all__ = [
    "chronometry",
    "spectra",
]
