"""``/healthz`` says whether the process is alive; ``/healthz?ready=1``
reports each part (database, cache, PDF worker) as ok, degraded or down,
and answers 503 only when readers cannot be served. The database being
down is tested with a PostgreSQL of the test's own in test_database_faults,
Redis down in test_redis_down.
"""

from __future__ import annotations

from wiki import jobs


def readiness(client):
    response = client.get("/healthz?ready=1")
    return response.status_code, response.json()


def test_liveness_stays_a_plain_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_reports_every_part_ok(client, db, settings, tmp_path):
    settings.WIKI_JOB_SLOT_DIR = str(tmp_path / "slots")
    status, report = readiness(client)
    assert status == 200
    assert report == {
        "status": "ok",
        "parts": {"database": "ok", "cache": "ok", "pdf_worker": "ok"},
    }


def test_readiness_is_never_cached(client, db):
    assert client.get("/healthz?ready=1")["Cache-Control"] == "no-store"


def test_readiness_with_every_pdf_slot_busy_is_degraded(client, db, settings, tmp_path):
    settings.WIKI_JOB_SLOT_DIR = str(tmp_path / "slots")
    settings.WIKI_JOB_SLOTS = 1
    with jobs.job_slot(0):
        status, report = readiness(client)
    assert status == 200
    assert report["status"] == "degraded"
    assert report["parts"]["pdf_worker"] == "degraded"


def test_readiness_with_no_place_for_pdf_slots_says_the_pdf_worker_is_down(
    client, db, settings, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings.WIKI_JOB_SLOT_DIR = str(blocker / "slots")
    status, report = readiness(client)
    assert status == 200
    assert report["status"] == "degraded"
    assert report["parts"]["pdf_worker"] == "down"
