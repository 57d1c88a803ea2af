"""An uploaded file is kept under a name of bounded length, whatever the user called it;
the page shows the name it came with."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import CsvImport
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CSV = b"external_id,name,customer_since\nC-1,Acme,2024-01-01\n"


@pytest.mark.parametrize(
    "name",
    [
        "a" * 240 + ".csv",
        "客户名单" * 60 + ".csv",  # 240 characters, 720 bytes: more than a file name holds
        "export." + "csv" * 40,  # a suffix longer than any file type
    ],
)
def test_a_file_named_longer_than_the_column_uploads_and_keeps_its_name(
    tmp_path, client, settings, name
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))

    response = client.post(
        reverse("imports"), {"kind": "customers", "file": SimpleUploadedFile(name, CSV)}
    )

    job = CsvImport.objects.get()
    assert response.status_code == 302 and job.header == ["external_id", "name", "customer_since"]
    assert len(job.file.name) <= 100 and job.original_name == name[:255]
    stored = job.file.name.rsplit("/", 1)[1]
    assert stored.startswith("customers-" + name.split(".")[0][:20]) and len(stored.encode()) <= 255
    assert (tmp_path / job.file.name).read_bytes() == CSV
