"""What an uploaded file is, told by its content and not by its name.

A file is accepted when its name ends with one of the accepted extensions, its size is within
DOCUMENTS_MAX_BYTES, its first bytes are those of that type, and — for the zip-based types
(DOCX, XLSX, ODT, ODS) — its entries are those of that type, within the bounds of a zip that is
no bomb (ctg_portal.files.inspect_zip, as the funding import checks its XLSX and ODS), without
macros. Every refusal is a French ValidationError; nothing is stored before this passed.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ctg_portal.files import ZipBounds, ZipRefused, inspect_zip, read_zip_member
from ctg_portal.formatting import format_number
from ctg_portal.validators import CONTROL_CHARACTERS

# Extension → type; a type's label and the Content-Type it is served with.
EXTENSIONS = {
    "pdf": "pdf",
    "odt": "odt",
    "ods": "ods",
    "docx": "docx",
    "xlsx": "xlsx",
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
}
LABELS = {
    "pdf": "PDF",
    "odt": "ODT",
    "ods": "ODS",
    "docx": "DOCX",
    "xlsx": "XLSX",
    "png": "PNG",
    "jpeg": "JPEG",
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
    "jpeg": "image/jpeg",
}
LABELS_BY_CONTENT_TYPE = {CONTENT_TYPES[kind]: label for kind, label in LABELS.items()}
ACCEPT = ",".join(f".{extension}" for extension in EXTENSIONS)  # the file input's `accept`

SIGNATURES = [(b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg")]
ZIP_SIGNATURE = b"PK\x03\x04"
# Programs: Windows (MZ), Linux (ELF), macOS (Mach-O, universal), scripts (#!), Java classes.
PROGRAMS = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}
# A document of 20 MB unpacks to a few tens of megabytes (its images are packed already); a
# part above 1 MB packed more than 100 times is a bomb, not a document.
ZIP_BOUNDS = ZipBounds(max_total=100 * 1024 * 1024, max_ratio=100, max_members=5000)
NAME_MAX = 255


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the original name, as the user's computer gave it
    kind: str  # a key of LABELS
    content_type: str
    size: int


def label_of_content_type(content_type):
    return LABELS_BY_CONTENT_TYPE.get(content_type, "")


def accepted_types_text():
    return ", ".join(LABELS.values())


def check_name(name):
    """The original name, refused when it holds a path or a control character (the browser
    sends the name alone: anything else was made by hand) or is too long; else its extension's
    type."""
    if "/" in name or "\\" in name or CONTROL_CHARACTERS.search(name):
        raise ValidationError(
            _(
                "This file's name holds a folder path or a control character: rename the file "
                "and upload it again."
            ),
            code="bad_name",
        )
    if any(not char.isprintable() for char in name):
        raise ValidationError(
            _("This file's name holds invisible characters: rename the file and upload it again."),
            code="bad_name",
        )
    if len(name) > NAME_MAX:
        raise ValidationError(
            _("This file's name is too long (%(max)s characters at most): rename the file.")
            % {"max": NAME_MAX},
            code="bad_name",
        )
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        raise ValidationError(
            _("Only these types of files are accepted: %(types)s.")
            % {"types": accepted_types_text()},
            code="bad_type",
        )
    return EXTENSIONS[extension]


def check_upload(upload):
    """The CheckedFile of `upload` (an UploadedFile), or a French ValidationError."""
    name = upload.name or ""
    expected = check_name(name)
    limit = settings.DOCUMENTS_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("This file is too large (%(size)s MB): %(max)s MB at most.")
            % {
                "size": format_number(upload.size / 1024 / 1024, places=1),
                "max": format_number(limit / 1024 / 1024, places=0),
            },
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    found = detect(upload, head)
    upload.seek(0)
    if found != expected:
        raise ValidationError(
            _(
                "This file's content is that of a %(found)s file, not of the %(expected)s its "
                "name says: upload the right file, or give it the right name."
            )
            % {"found": LABELS[found], "expected": LABELS[expected]},
            code="mismatch",
        )
    return CheckedFile(name=name, kind=found, content_type=CONTENT_TYPES[found], size=upload.size)


def detect(upload, head):
    """The type of the file from its content (a key of LABELS), or a ValidationError."""
    if head.startswith(PROGRAMS):
        raise ValidationError(
            _("This file is a program, not a document: it is refused."), code="program"
        )
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    if head.startswith(ZIP_SIGNATURE):
        return detect_zip(upload)
    raise ValidationError(
        _("This file's content is not that of an accepted type (%(types)s).")
        % {"types": accepted_types_text()},
        code="unknown",
    )


def detect_zip(upload):
    """DOCX, XLSX, ODT or ODS, from the entries of a zip that is checked against ZIP_BOUNDS
    and unpacked to check it is what it declares."""
    try:
        names = set(inspect_zip(upload, ZIP_BOUNDS, unpack=True))
    except ZipRefused as refused:
        if refused.reason == "damaged":
            raise damaged() from None
        raise ValidationError(
            _("This file unpacks to far more than a document holds (a “zip bomb”): it is refused."),
            code="zip_bomb",
        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise damaged() from None
    lowered = {name.lower() for name in names}
    if "[Content_Types].xml" in names:
        if any(name.endswith("vbaproject.bin") for name in lowered):
            raise macros()
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    elif "mimetype" in names:
        mimetype = read_zip_member(upload, "mimetype", 100) or b""
        kind = ODF_MIMETYPES.get(mimetype.strip())
        if kind:
            if any(name.startswith(("basic/", "scripts/")) for name in lowered):
                raise macros()
            return kind
    raise ValidationError(
        _("This file's content is not that of an accepted type (%(types)s).")
        % {"types": accepted_types_text()},
        code="unknown",
    )


def damaged():
    return ValidationError(
        _("This file is damaged: it cannot be read. Save it again and upload the new copy."),
        code="damaged",
    )


def macros():
    return ValidationError(
        _("This document holds macros: save it without them and upload it again."),
        code="macros",
    )
