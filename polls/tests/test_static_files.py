"""Static files as collectstatic writes them and whitenoise serves them: hashed names, brotli and
gzip siblings, and a ten-year cache for the hashed names only."""

import gzip
import json

import brotli
import pytest
from django.conf import settings
from django.test import Client, override_settings

from .production import TEN_YEARS


@pytest.mark.django_db
def test_collected_static_files_are_hashed_compressed_and_cached_for_ten_years(collected_static):
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=collected_static, STORAGES=storages):
        manifest = json.loads((collected_static / "staticfiles.json").read_text())["paths"]
        hashed = manifest["css/votr.css"]
        assert hashed != "css/votr.css"
        original = (collected_static / hashed).read_bytes()
        # A fresh client builds a fresh middleware stack, so whitenoise indexes the folder.
        # A fresh client builds a fresh middleware stack, so whitenoise indexes tmp_path.
        client = Client()
        url = f"/static/{hashed}"
        as_brotli = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        as_gzip = client.get(url, headers={"Accept-Encoding": "gzip"})
        plain = client.get(url)
        unhashed = client.get("/static/css/votr.css")

    assert as_brotli["Content-Encoding"] == "br"
    assert brotli.decompress(b"".join(as_brotli.streaming_content)) == original
    assert as_gzip["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(as_gzip.streaming_content)) == original
    assert "Content-Encoding" not in plain
    for response in (as_brotli, as_gzip, plain):
        assert response.status_code == 200
        assert response["Cache-Control"] == TEN_YEARS
        assert response["Vary"] == "Accept-Encoding"
    # The unhashed name may change content under the same URL: short cache only.
    assert unhashed["Cache-Control"] == "max-age=60, public"
