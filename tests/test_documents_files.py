"""The files a document may be, told by their content: a valid file of each accepted type is
added; hostile files (a PDF renamed .xlsx, a program renamed .pdf, a file over 20 MB, a zip
bomb in a .docx, names with folders or control characters…) are refused in French and nothing
is stored. The builders below make small real files of each type (also used by
test_documents.py)."""

import io
import os
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.urls import reverse

from documents.models import Document
from documents.validation import check_upload

from .helpers import once

pytestmark = pytest.mark.django_db

SLUG = "thore-montagne-noire-2023-2025"


# Small real files of each accepted type


def pdf_bytes(text="Relevé de décisions"):
    body = f"BT /F1 12 Tf 72 712 Td ({text.encode('ascii', 'replace').decode()}) Tj ET"
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Contents 4 0 R>>endobj\n"
        + f"4 0 obj<</Length {len(body)}>>stream\n{body}\nendstream endobj\n".encode()
        + b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes():
    """A 1 × 1 PNG, written chunk by chunk."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def jpeg_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)


def zip_bytes(entries, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes(extra=()):
    """A minimal Word document (python-docx is not a dependency: written as its zip)."""
    return zip_bytes(
        [
            ("[Content_Types].xml", CONTENT_TYPES_XML),
            ("_rels/.rels", "<Relationships/>"),
            (
                "word/document.xml",
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body><w:p><w:r><w:t>Délibération</w:t></w:r></w:p></w:body>'
                "</w:document>",
            ),
            *extra,
        ]
    )


def xlsx_bytes():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active["A1"] = "Justificatif"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def odf_bytes(document):
    from odf.text import P

    document.text.addElement(P(text="Compte rendu"))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def odt_bytes():
    from odf.opendocument import OpenDocumentText

    return odf_bytes(OpenDocumentText())


def ods_bytes():
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow

    document = OpenDocumentSpreadsheet()
    table = Table(name="Bilan")
    row = TableRow()
    row.addElement(TableCell())
    table.addElement(row)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


VALID = {
    "pdf": (pdf_bytes, "application/pdf"),
    "odt": (odt_bytes, "application/vnd.oasis.opendocument.text"),
    "ods": (ods_bytes, "application/vnd.oasis.opendocument.spreadsheet"),
    "docx": (
        docx_bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "png": (png_bytes, "image/png"),
    "jpg": (jpeg_bytes, "image/jpeg"),
    "jpeg": (jpeg_bytes, "image/jpeg"),
}


# Posting


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Files go to a temporary MEDIA_ROOT, checked empty after each refusal."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media):
    return sorted(
        os.path.relpath(os.path.join(folder, name), media)
        for folder, _dirs, names in os.walk(media)
        for name in names
    )


def upload(client, name, content, **fields):
    data = {
        "submission": once(),
        "kind": "deliberation",
        "title": "Délibération du conseil",
        "date": "2024-03-14",
        "attached_to": "convention",
        "file": SimpleUploadedFile(name, content),
        **fields,
    }
    return client.post(reverse("documents:add", args=[SLUG]), data)


@pytest.mark.parametrize("extension", sorted(VALID))
def test_a_valid_file_of_each_type_is_added(client, coordinator, media, extension):
    build, content_type = VALID[extension]
    content = build()
    client.force_login(coordinator)
    response = upload(client, f"Délibération n°3.{extension}", content)
    assert response.status_code == 302, response.context["form"].errors
    document = Document.objects.get()
    assert document.original_name == f"Délibération n°3.{extension}"
    assert document.content_type == content_type
    assert document.size == len(content)
    assert document.uploaded_by == coordinator
    # Stored under the convention, a random name without the original one nor its extension.
    assert document.file.name.startswith(f"documents/{document.convention_id}/")
    stored = document.file.name.rsplit("/", 1)[-1]
    assert len(stored) == 32 and all(char in "0123456789abcdef" for char in stored)
    assert stored_files(media) == [document.file.name]
    with document.file.open("rb") as handle:
        assert handle.read() == content


def bomb_docx():
    """A .docx whose document part unpacks to 60 MB of zeros (about 60 KB packed)."""
    return zip_bytes(
        [
            ("[Content_Types].xml", CONTENT_TYPES_XML),
            ("word/document.xml", b"\0" * (60 * 1024 * 1024)),
        ]
    )


def damaged_docx():
    """A .docx whose document part does not unpack to its checksum (a byte flipped)."""
    content = bytearray(docx_bytes())
    at = content.index(b"word/document.xml") + len("word/document.xml") + 10
    content[at] ^= 0xFF
    return bytes(content)


HOSTILE = {
    # name: (file name, content, words of the French refusal)
    "pdf renamed xlsx": ("budget.xlsx", pdf_bytes(), "celui d’un fichier PDF"),
    "docx renamed xlsx": ("budget.xlsx", docx_bytes(), "celui d’un fichier DOCX"),
    "png renamed pdf": ("scan.pdf", png_bytes(), "celui d’un fichier PNG"),
    "windows program renamed pdf": ("facture.pdf", b"MZ\x90\x00" + b"\0" * 200, "un programme"),
    "linux program renamed pdf": (
        "facture.pdf",
        b"\x7fELF\x02\x01\x01" + b"\0" * 200,
        "un programme",
    ),
    "script renamed odt": ("note.odt", b"#!/bin/sh\nrm -rf /\n", "un programme"),
    "text renamed pdf": ("note.pdf", b"Bonjour, ceci est du texte.", "n’est pas celui"),
    "html renamed pdf": ("page.pdf", b"<html><script>alert(1)</script></html>", "n’est pas celui"),
    "zip bomb in a docx": ("bombe.docx", bomb_docx(), "bombe"),
    "damaged docx": ("abime.docx", damaged_docx(), "abîmé"),
    "docx with macros": (
        "macros.docx",
        docx_bytes(extra=[("word/vbaProject.bin", b"\0" * 100)]),
        "macros",
    ),
    "zip that is no document": ("archive.docx", zip_bytes([("a.txt", "x")]), "n’est pas celui"),
    "odf presentation renamed odt": (
        "diapos.odt",
        zip_bytes(
            [("mimetype", "application/vnd.oasis.opendocument.presentation")],
            zipfile.ZIP_STORED,
        ),
        "n’est pas celui",
    ),
    "empty file": ("vide.pdf", b"", None),
    "type not accepted": ("programme.exe", pdf_bytes(), "Seuls ces types"),
    "no extension": ("deliberation", pdf_bytes(), "Seuls ces types"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_in_french_and_nothing_is_stored(
    client, coordinator, media, case
):
    name, content, words = HOSTILE[case]
    client.force_login(coordinator)
    response = upload(client, name, content)
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    if words is not None:
        assert any(words in error for error in errors), errors
    assert not Document.all_objects.exists()
    assert stored_files(media) == []


def test_a_file_over_20_mb_is_refused_without_being_read(coordinator, media, tmp_path):
    """A sparse file of 20 MB and one byte: nothing of it is in memory, and the form refuses
    it on its size before reading it."""
    path = tmp_path / "gros.pdf"
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.4\n")
        handle.truncate(20 * 1024 * 1024 + 1)
    with open(path, "rb") as handle:
        big = UploadedFile(handle, name="gros.pdf", size=os.path.getsize(path))
        with pytest.raises(ValidationError) as refused:
            check_upload(big)
        assert handle.tell() == 0  # not a byte read
    assert "trop volumineux (20,0\u00a0Mo)\u00a0: 20\u00a0Mo au plus" in refused.value.messages[0]
    assert stored_files(media) == []


def test_a_file_over_the_limit_is_refused_through_the_page(client, coordinator, media, settings):
    settings.DOCUMENTS_MAX_BYTES = 1024
    client.force_login(coordinator)
    response = upload(client, "gros.pdf", pdf_bytes() + b"\0" * 2000)
    assert response.status_code == 400
    assert "trop volumineux" in response.content.decode()
    assert not Document.all_objects.exists() and stored_files(media) == []


def test_a_file_of_20_mb_exactly_is_within_the_limit(coordinator, tmp_path):
    path = tmp_path / "juste.pdf"
    with open(path, "wb") as handle:
        handle.write(pdf_bytes())
        handle.truncate(20 * 1024 * 1024)
    with open(path, "rb") as handle:
        checked = check_upload(UploadedFile(handle, name="juste.pdf", size=20 * 1024 * 1024))
    assert checked.kind == "pdf"


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../../etc/passwd.pdf", "chemin de dossier"),
        ("..\\..\\windows\\system.pdf", "chemin de dossier"),
        ("rapport\x1b[31m.pdf", "caractère de contrôle"),
        ("rapport\x00.pdf", "caractère de contrôle"),
        ("facture\u202efdp.exe", "caractères invisibles"),
        ("x" * 300 + ".pdf", "trop long"),
    ],
    ids=["slashes", "backslashes", "escape", "nul", "right-to-left override", "too long"],
)
def test_names_with_folders_or_control_characters_are_refused(name, words):
    """The form refuses such a name (the browser sends a bare name: this one was made)."""
    upload_file = SimpleUploadedFile("x.pdf", pdf_bytes())
    upload_file._name = name  # as it would reach the form, past Django's own clean-up
    with pytest.raises(ValidationError) as refused:
        check_upload(upload_file)
    assert words in refused.value.messages[0]


def test_a_name_with_folders_is_reduced_to_its_last_part_when_posted(client, coordinator, media):
    """Posted, the name loses its folders and control characters in Django's parser before the
    form sees it: the document keeps the bare name, stored under a random one."""
    client.force_login(coordinator)
    boundary = "frontiere"
    content = pdf_bytes()
    fields = {
        "submission": once(),
        "kind": "other",
        "title": "Piège",
        "date": "2024-03-14",
        "attached_to": "convention",
    }
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="../../../etc/cron.d/pi\x07ege.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.generic(
        "POST",
        reverse("documents:add", args=[SLUG]),
        b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.original_name == "piege.pdf"
    assert stored_files(media) == [document.file.name]
    assert ".." not in document.file.name and "piege" not in document.file.name


def test_a_large_upload_is_spooled_to_disk_and_checked_there(
    client, coordinator, media, monkeypatch
):
    """Above FILE_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) the upload arrives in a temporary file, not
    in memory, and its zip is checked from there."""
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from documents import forms

    seen = []

    def spy(upload):
        seen.append(type(upload))
        return check_upload(upload)

    monkeypatch.setattr(forms, "check_upload", spy)
    content = docx_bytes(extra=[("word/media/image1.png", os.urandom(3 * 1024 * 1024))])
    client.force_login(coordinator)
    response = upload(client, "rapport illustré.docx", content)
    assert response.status_code == 302
    assert seen == [TemporaryUploadedFile]
    document = Document.objects.get()
    assert document.size == len(content) and document.file_label == "DOCX"
