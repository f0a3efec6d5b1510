"""Text as people search it: without accents, case or extra spaces, the same on every database.

SQLite compares without case only in ASCII and neither SQLite nor PostgreSQL (without the
`unaccent` extension) ignores accents: a row keeps the search key of its texts in a column
(`SearchKeyField`), and a search compares the key of what was typed with it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import models

# What NFKD leaves whole but a French reader types otherwise: the ligatures (cœur, cæcum) and
# the typographic apostrophes (l’enfance, typed l'enfance).
FOLDED = str.maketrans({"œ": "oe", "æ": "ae", "’": "'", "‘": "'", "ʼ": "'"})


def without_marks(text: str) -> str:
    """`text` decomposed (NFKD: é → e + ◌́, ﬁ → fi, a no-break space → a space), its
    combining marks left out."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_key(text: str) -> str:
    """`text` as compared by a search: without accents, casefolded, ligatures and apostrophes
    folded, spaces collapsed. "  Le NUMÉRIQUE  au Cœur " → "le numerique au coeur".

    Casefolded before and after the decomposition: each may bring what the other folds
    (İ casefolds to i + a combining dot; ℍ decomposes to H).
    """
    folded = without_marks(without_marks(text.casefold()).casefold())
    return " ".join(folded.translate(FOLDED).split())


class SearchKeyField(models.TextField):
    """The search key (`search_key`) of a row's text fields `sources`, for searches.

    Never edited: computed on each write that goes through the field, save() and bulk_create
    alike (`pre_save`); a save(update_fields=…) naming a source must name this field too.
    """

    FIXED = {"editable": False, "blank": True, "default": ""}

    def __init__(self, *args: Any, sources: list[str] | tuple[str, ...] = (), **kwargs: Any):
        self.sources = list(sources)
        super().__init__(*args, **{**kwargs, **self.FIXED})

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key in self.FIXED:
            kwargs.pop(key, None)
        return name, path, args, {**kwargs, "sources": self.sources}

    def key_of(self, instance: models.Model) -> str:
        """The search key of `instance`'s sources as they stand."""
        texts = (getattr(instance, name) for name in self.sources)
        return search_key(" ".join(str(text) for text in texts if text))

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = self.key_of(model_instance)
        setattr(model_instance, self.attname, value)
        return value
