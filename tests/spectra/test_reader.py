"""Reader: every shared file reads like SpecUtils reports it; broken input gives typed errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import DATA, spectrum_files
from nucsec.errors import FileFormatError
from nucsec.forensics.spectra import (
    SpectrumFileError,
    convert_spectrum,
    read_spectrum,
)

FILES = spectrum_files()
SMALL = [p for p in FILES if p.stat().st_size < 60_000]


def _specutils_records(path: Path) -> list[tuple[np.ndarray, float, float, np.ndarray]]:
    import SpecUtils

    spec = SpecUtils.SpecFile()
    spec.loadFile(str(path), SpecUtils.ParserType.Auto, path.name)
    out = []
    for m in spec.measurements():
        counts = np.asarray(m.gammaCounts(), dtype=float)
        if counts.size >= 8:
            out.append((counts, m.liveTime(), m.realTime(), np.asarray(m.channelEnergies())))
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_reads_like_specutils(path: Path) -> None:
    ours = read_spectrum(path)
    theirs = _specutils_records(path)
    assert len(ours.spectra) == len(theirs)
    for rec, (counts, live, real, lower_edges) in zip(ours.spectra, theirs, strict=True):
        np.testing.assert_array_equal(rec.counts, counts)
        assert rec.live_time_s == pytest.approx(live)
        assert rec.real_time_s == pytest.approx(real)
        if rec.calibration.kind != "default":
            n = min(lower_edges.size, rec.n_channels)
            np.testing.assert_allclose(rec.calibration.edges_kev[:n], lower_edges[:n], atol=1e-3)


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.name)
def test_bytes_and_path_give_the_same_result(path: Path) -> None:
    a = read_spectrum(path)
    b = read_spectrum(path.read_bytes(), filename=path.name)
    assert [s.total_counts for s in a.spectra] == [s.total_counts for s in b.spectra]


def test_derived_formats_hold_the_same_counts() -> None:
    spe = read_spectrum(DATA / "curie_hpge_eu152_7cm.spe").foreground()
    for name in ("DERIVED_curie_hpge_eu152_7cm.chn", "DERIVED_curie_hpge_eu152_7cm.csv"):
        other = read_spectrum(DATA / name).foreground()
        np.testing.assert_array_equal(other.counts, spe.counts)


def test_portal_file_has_eight_detectors_summed() -> None:
    sf = read_spectrum(DATA / "interspec_hpge_portal_ba133.n42")
    assert len(sf.spectra) == 8
    fg = sf.foreground()
    # detectors are rebinned onto the first one's energies: counts beyond its range drop out
    assert fg.total_counts == pytest.approx(sum(s.total_counts for s in sf.spectra), rel=1e-4)
    assert fg.total_counts > 8 * min(s.total_counts for s in sf.spectra) * 0.5


def test_foreground_and_background_records() -> None:
    sf = read_spectrum(DATA / "interspec_lynx_hpge_disk_U_Th_activation.n42")
    assert sf.foreground().live_time_s == pytest.approx(86400.0)
    bg = sf.background()
    assert bg is not None and bg.live_time_s == pytest.approx(345600.0)


def test_gps_and_start_time() -> None:
    s = read_spectrum(DATA / "bq_hpge_alcatraz.spc").foreground()
    assert s.latitude == pytest.approx(37.92, abs=0.01)
    assert s.longitude == pytest.approx(-122.48, abs=0.01)
    assert s.start_time is not None and s.start_time.year == 2012


def test_convert_to_n42_round_trips() -> None:
    src = read_spectrum(DATA / "bq_hpge_alcatraz.spc").foreground()
    back = read_spectrum(convert_spectrum(DATA / "bq_hpge_alcatraz.spc"), filename="x.n42")
    np.testing.assert_array_equal(back.foreground().counts, src.counts)
    assert back.foreground().live_time_s == pytest.approx(src.live_time_s)


def test_convert_unknown_format_is_a_typed_error() -> None:
    with pytest.raises(SpectrumFileError) as err:
        convert_spectrum(DATA / "bq_hpge_alcatraz.spc", "docx")
    assert err.value.field == "to"


@pytest.mark.parametrize(
    "data",
    [b"", b"short", b"\x00" * 4096, b"hello world\n" * 100],
    ids=["empty", "short", "zeros", "text"],
)
def test_garbage_is_a_typed_error(data: bytes) -> None:
    with pytest.raises(FileFormatError):
        read_spectrum(data, filename="x.spe")


def test_oversized_input_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.n42"
    big.write_bytes(b"0" * 2048)
    with pytest.raises(SpectrumFileError) as err:
        read_spectrum(big, max_bytes=1024)
    assert err.value.field == "size_bytes"


def test_missing_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(SpectrumFileError) as err:
        read_spectrum(tmp_path / "nope.spe")
    assert err.value.field == "path"


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read_or_typed_error(data: bytes, name: str) -> None:
    try:
        sf = read_spectrum(data, filename=name)
    except FileFormatError:
        return
    for s in sf.spectra:  # whatever parses must be sane
        assert np.all(np.isfinite(s.counts)) and np.all(s.counts >= 0)
        assert s.live_time_s >= 0


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from([".spe", ".n42", ".cnf", ".chn", ".pcf", ""]))
def test_random_bytes_never_crash(data: bytes, ext: str) -> None:
    _read_or_typed_error(data, "fuzz" + ext)


@FUZZ
@given(st.sampled_from(SMALL), st.floats(0.0, 1.0))
def test_truncated_files_never_crash(path: Path, fraction: float) -> None:
    data = path.read_bytes()
    _read_or_typed_error(data[: int(len(data) * fraction)], path.name)


@FUZZ
@given(
    st.sampled_from(SMALL),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), min_size=1, max_size=30),
)
def test_bit_flips_never_crash(path: Path, flips: list[tuple[float, int]]) -> None:
    data = bytearray(path.read_bytes())
    for where, bit in flips:
        i = min(int(where * len(data)), len(data) - 1)
        data[i] ^= 1 << bit
    _read_or_typed_error(bytes(data), path.name)
