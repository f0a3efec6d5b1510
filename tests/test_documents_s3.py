"""Documents on S3-compatible object storage (S3_BUCKET, django-storages), as several app
servers share them: uploaded through the form, downloaded through the access-checked view,
never from a bucket address. S3 is moto's in-process mock: no network, fast."""

import boto3
import pytest
from django.urls import reverse
from moto import mock_aws

from documents.models import Document

from .test_documents_files import pdf_bytes, upload, xlsx_bytes

SLUG = "thore-montagne-noire-2023-2025"
BUCKET = "ctg-documents"

pytestmark = pytest.mark.django_db


@pytest.fixture
def bucket(settings, monkeypatch):
    """A private bucket in moto's mock, and the storage settings file_storage() gives for
    S3_BUCKET=ctg-documents S3_REGION=eu-west-3 S3_PREFIX=portail."""
    from ctg_portal.settings import file_storage

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-3")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
        )
        storage = file_storage(
            {"S3_BUCKET": BUCKET, "S3_REGION": "eu-west-3", "S3_PREFIX": "portail"}
        )
        settings.STORAGES = {**settings.STORAGES, "default": storage}
        yield s3


def objects(s3):
    listing = s3.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_a_document_uploaded_and_downloaded_through_the_views(
    client, coordinator, pilot, bucket, settings
):
    content = xlsx_bytes()
    client.force_login(coordinator)
    response = upload(client, "Budget 2024.xlsx", content)
    assert response.status_code == 302, response.context["form"].errors
    document = Document.objects.get()
    # In the bucket under the prefix, by its random stored name; nothing on the local disk.
    assert objects(bucket) == [f"portail/{document.file.name}"]
    assert not settings.MEDIA_ROOT.exists()
    stored = bucket.get_object(Bucket=BUCKET, Key=f"portail/{document.file.name}")
    assert stored["Body"].read() == content

    # Another member downloads it through the portal's view, byte for byte.
    client.force_login(pilot)
    response = client.get(reverse("documents:download", args=[SLUG, document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Length"] == str(len(content))
    assert "Budget 2024.xlsx" in response["Content-Disposition"]
    assert "amazonaws" not in str(response.headers) and BUCKET not in str(response.headers)


def test_a_refused_upload_leaves_nothing_in_the_bucket(client, coordinator, bucket):
    client.force_login(coordinator)
    response = upload(client, "budget.xlsx", pdf_bytes())
    assert response.status_code == 400
    assert objects(bucket) == [] and not Document.objects.exists()


def test_a_file_missing_from_the_bucket_is_a_404(client, coordinator, bucket):
    client.force_login(coordinator)
    assert upload(client, "Délibération.pdf", pdf_bytes()).status_code == 302
    document = Document.objects.get()
    bucket.delete_object(Bucket=BUCKET, Key=f"portail/{document.file.name}")
    response = client.get(reverse("documents:download", args=[SLUG, document.pk]))
    assert response.status_code == 404
