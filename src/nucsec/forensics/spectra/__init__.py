"""Gamma spectrometry: read detector files, calibrate, find and fit peaks, identify nuclides,
activities and uranium enrichment.

>>> from nucsec.forensics.spectra import read_spectrum, analyze   # doctest: +SKIP
>>> result = analyze(read_spectrum("item.n42").foreground())      # doctest: +SKIP
>>> [n["name"] for n in result.to_dict()["nuclides"]]              # doctest: +SKIP
['Cs-137']
"""

from nucsec.forensics.spectra.activity import ActivityResult, Efficiency
from nucsec.forensics.spectra.analysis import analyze
from nucsec.forensics.spectra.enrichment import EnrichmentResult
from nucsec.forensics.spectra.identify import Identification
from nucsec.forensics.spectra.model import (
    DETECTOR_TYPES,
    EnergyCalibration,
    Spectrum,
    SpectrumError,
    SpectrumFileError,
    TruncatedSpectrumError,
)
from nucsec.forensics.spectra.nucdata import Line, Source, load_library
from nucsec.forensics.spectra.plot import plot_data, plot_svg
from nucsec.forensics.spectra.reader import DEFAULT_MAX_BYTES, convert_spectrum, read_spectrum
from nucsec.forensics.spectra.result import Peak, SpectrumAnalysis
from nucsec.forensics.spectra.simulate import simulate, uranium_activities_bq
from nucsec.forensics.spectra.spectrum_file import SpectrumFile

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DETECTOR_TYPES",
    "ActivityResult",
    "Efficiency",
    "EnergyCalibration",
    "EnrichmentResult",
    "Identification",
    "Line",
    "Peak",
    "Source",
    "Spectrum",
    "SpectrumAnalysis",
    "SpectrumError",
    "SpectrumFile",
    "SpectrumFileError",
    "TruncatedSpectrumError",
    "analyze",
    "convert_spectrum",
    "load_library",
    "plot_data",
    "plot_svg",
    "read_spectrum",
    "simulate",
    "uranium_activities_bq",
]
