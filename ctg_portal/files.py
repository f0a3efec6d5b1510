"""Files that come in and go out, knowing no domain: the bounds of a zip (XLSX, ODS, DOCX,
ODT are zips) checked before anything unpacks it, and the name of a download."""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote

from .validators import CONTROL_CHARACTERS


class ZipRefused(ValueError):
    """A zip outside its bounds. `reason`: "members" (too many entries), "total" (unpacks
    beyond the total), "member" (one entry beyond its bound), "ratio" (one entry packed
    suspiciously tight: a zip bomb), "damaged" (an entry does not unpack to what it
    declares)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ZipBounds:
    """What a zip may unpack to. `max_member` and `max_ratio` are optional; the ratio
    (unpacked / packed size) is checked on entries above `ratio_from` bytes only: small XML
    parts compress well and harm nobody."""

    max_total: int
    max_member: int | None = None
    max_ratio: int | None = None
    ratio_from: int = 1024 * 1024
    max_members: int = 10_000


def inspect_zip(source: IO[bytes], bounds: ZipBounds, *, unpack: bool = False) -> list[str]:
    """The names of the entries of the zip `source` (a binary file object, read from its
    start), after checking them against `bounds` from the sizes the zip declares: nothing is
    unpacked for that. `unpack=True` then unpacks every entry, a chunk at a time, and refuses
    one that does not unpack to its declared size and checksum (the declared sizes bound what
    Python's zipfile ever unpacks: a bomb declaring small sizes is caught there too).

    Raises ZipRefused, or zipfile.BadZipFile for what is not a zip at all.
    """
    source.seek(0)
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        if len(infos) > bounds.max_members:
            raise ZipRefused("members")
        if sum(info.file_size for info in infos) > bounds.max_total:
            raise ZipRefused("total")
        if bounds.max_member is not None and any(
            info.file_size > bounds.max_member for info in infos
        ):
            raise ZipRefused("member")
        if bounds.max_ratio is not None and any(
            info.file_size > bounds.ratio_from
            and info.file_size > bounds.max_ratio * max(info.compress_size, 1)
            for info in infos
        ):
            raise ZipRefused("ratio")
        if unpack:
            for info in infos:
                try:
                    with archive.open(info) as entry:
                        while entry.read(1024 * 1024):
                            pass
                except Exception as error:  # a bad checksum, zlib's error, a bad method…
                    raise ZipRefused("damaged") from error
        return [info.filename for info in infos]


def read_zip_member(source: IO[bytes], name: str, limit: int) -> bytes | None:
    """At most `limit` bytes of the entry `name` of the zip `source`, None without it."""
    source.seek(0)
    with zipfile.ZipFile(source) as archive:
        try:
            with archive.open(name) as entry:
                return entry.read(limit)
        except KeyError:
            return None


def safe_file_name(name: str, fallback: str = "document") -> str:
    """A file name fit to show and to offer for download: its last path component only,
    without control or invisible formatting characters (a right-to-left override makes
    "facture‮fdp.exe" read as "facture.exe.pdf"), trimmed of dots and spaces at its ends."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = CONTROL_CHARACTERS.sub("", name)
    name = "".join(char for char in name if char.isprintable())
    name = name.strip(" .")
    return name or fallback


def ascii_file_name(name: str) -> str:
    """The name in plain ASCII (accents dropped, anything else "_"), for the `filename`
    parameter old clients read when they do not understand `filename*`."""
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(
        char if (char.isascii() and char.isprintable() and char not in '"\\%') else "_"
        for char in decomposed
        if not unicodedata.combining(char)
    )
    return text or "document"


def attachment_disposition(name: str) -> str:
    """`Content-Disposition: attachment` with the file's name, as RFC 6266 advises: an ASCII
    `filename` for old clients, then `filename*` in UTF-8 (RFC 8187) that the others use."""
    name = safe_file_name(name)
    return f"attachment; filename=\"{ascii_file_name(name)}\"; filename*=UTF-8''{quote(name)}"
