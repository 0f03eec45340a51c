"""The node's signing key: created private to its owner, refused when others may read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from nucsec.audit.keys import PRIVATE_KEY_FILE, generate_key, load_private_key
from nucsec.errors import ConfigurationError


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    generate_key(tmp_path)
    path = tmp_path / PRIVATE_KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    load_private_key(tmp_path)  # private: loads
    path.chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_private_key(tmp_path)


def test_a_missing_key_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="nucsec init"):
        load_private_key(tmp_path)
