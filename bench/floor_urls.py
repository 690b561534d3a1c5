import os
from pathlib import Path

from django.http import HttpResponse
from django.urls import path

PAGE_BYTES = Path(os.environ.get("FLOOR_PAGE_FILE", "/dev/null")).read_bytes()


def floor(request):
    return HttpResponse(PAGE_BYTES, content_type="text/html; charset=utf-8")


# /healthz: the benchmark waits for it, as it does for the app server.
urlpatterns = [path("floor/", floor), path("healthz", floor)]
