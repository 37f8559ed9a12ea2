from pathlib import Path

import pytest
from django.conf import settings

from marketplace.trade.services import hs_codes_import, hs_codes_seed_fallback

HS_CSV = Path(settings.HS_CODES_CSV)


@pytest.fixture
def hs_fallback(db):
    """The built-in HS slice: chapters, headings and subheadings the demo uses."""
    return hs_codes_seed_fallback()


@pytest.fixture
def hs_full(db):
    """The whole HS 2022 table from the shared data file."""
    return hs_codes_import(path=HS_CSV)


@pytest.fixture
def write_csv(tmp_path):
    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
