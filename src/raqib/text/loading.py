"""Build the text analyzer a command or a scan uses: the shipped starter list, the enabled
indicator lists in the database, and the context model if one was trained or configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from raqib.config import Settings
from raqib.store.db import Database
from raqib.store.indicators import IndicatorRepository
from raqib.text.assess import TextAnalyzer
from raqib.text.indicator_records import Indicator
from raqib.text.starter import load_starter_indicators

if TYPE_CHECKING:
    from raqib.text.model import TextModel


def load_indicators(database: Database) -> list[Indicator]:
    with database.session() as session:
        listed = IndicatorRepository(session).indicators()
    return [*load_starter_indicators(), *listed]


def load_model(settings: Settings) -> TextModel | None:
    """The configured model (RAQIB_TEXT_MODEL), else the newest trained one, else none."""
    from raqib.text.model import TextModel

    if settings.text_model is not None:
        return TextModel.load(settings.text_model)
    if settings.models_dir.is_dir() and any(settings.models_dir.iterdir()):
        return TextModel.load(settings.models_dir)
    return None


def load_text_analyzer(settings: Settings, database: Database) -> TextAnalyzer:
    return TextAnalyzer(load_indicators(database), load_model(settings))
