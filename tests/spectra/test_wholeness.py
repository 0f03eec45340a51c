"""Uploads that are not whole: an empty file or a file cut off before what its format
declares is a ``TruncatedSpectrumError`` that says so, in the reader, on the CLI and on the
web upload page; never a silent analysis of the part that arrived."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, spectrum_files
from nucsec.cli import main
from nucsec.forensics.spectra import (
    SpectrumFileError,
    TruncatedSpectrumError,
    read_spectrum,
)

#: one file of each format (several records, one record, binary, text)
FORMATS = [
    "interspec_hpge_portal_ba133.n42",  # N42-2006, eight records
    "interspec_udetective_eu152_surface.n42",  # N42-2012
    "suro_rc101_cs137_EG3X.xml",  # RadiaCode XML, foreground and background
    "curie_hpge_eu152_7cm.spe",  # ORTEC SPE
    "DERIVED_curie_hpge_eu152_7cm.chn",  # ORTEC CHN
    "bq_hpge_halfmoonbay_beach.cnf",  # Canberra CNF
    "interspec_SIM_hpge_cs137.pcf",  # GADRAS PCF
    "crp2a_labr_example.tka",  # plain counts
    "DERIVED_curie_hpge_eu152_7cm.csv",  # energy, counts
]


def _cut(data: bytes, fraction: float) -> bytes:
    """``data`` cut at ``fraction``, moved off a line break (a text file cut exactly at a
    line break cannot be told from a shorter whole file: documented, not tested)."""
    end = max(int(len(data) * fraction), 1)
    while end > 1 and data[end - 1 : end] in (b"\n", b"\r"):
        end -= 1
    return data[:end]


def test_an_empty_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(TruncatedSpectrumError, match=r"empty \(0 bytes\)") as err:
        read_spectrum(b"", filename="upload.n42")
    assert err.value.code == "truncated_spectrum_file"
    empty = tmp_path / "empty.spe"
    empty.write_bytes(b"")
    with pytest.raises(TruncatedSpectrumError, match=r"empty\.spe is empty"):
        read_spectrum(empty)


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("fraction", [0.3, 0.7, 0.97])
def test_cut_files_are_refused_as_cut(name: str, fraction: float) -> None:
    data = (DATA / name).read_bytes()
    with pytest.raises(SpectrumFileError) as err:
        read_spectrum(_cut(data, fraction), filename=name)
    assert "cut off" in str(err.value), str(err.value)


def test_whole_files_are_not_refused() -> None:
    for path in spectrum_files():
        read_spectrum(path)  # raises on a false refusal


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(spectrum_files()), st.floats(0.0, 0.999))
def test_a_cut_file_is_never_read_in_part(path: Path, fraction: float) -> None:
    """Whatever the cut, the reader refuses the file or reads exactly what the whole file
    holds (a cut that removes only trailing metadata is harmless)."""
    data = path.read_bytes()
    whole = read_spectrum(data, filename=path.name)
    try:
        part = read_spectrum(_cut(data, fraction), filename=path.name)
    except SpectrumFileError:
        return
    assert len(part.spectra) == len(whole.spectra)
    for a, b in zip(part.spectra, whole.spectra, strict=True):
        assert a.n_channels == b.n_channels
        assert a.total_counts == pytest.approx(b.total_counts)


def test_cli_refuses_a_cut_file_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cut = tmp_path / "portal.n42"
    cut.write_bytes(_cut((DATA / FORMATS[0]).read_bytes(), 0.5))
    code = main(["spectrum", "analyze", str(cut), "--json"])
    _, err = capsys.readouterr()
    assert code == 2
    error = json.loads(err)
    assert error["error"] == "truncated_spectrum_file"
    assert "cut off" in error["message"] and "</N42InstrumentData>" in error["message"]
