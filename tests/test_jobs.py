"""Heavy work runs in jobs (wiki.jobs): killed at its deadline, limited in
number machine-wide, and never inside a save's transaction."""

import fcntl
import logging
import os
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from reversion.models import Revision

from tests.edit_data import edit_data
from wiki import jobs
from wiki.content import PageContent
from wiki.models import Page
from wiki.render_cache import INLINE_RENDER_BYTES, cached_render, render_cache_key
from wiki.rendering import MAX_NESTING_DEPTH, MarkupTooComplex, render_markdown
from wiki.services import save_page
from wiki.transfer import ImportedRevision, PageRecord, import_records

# A page long enough to go through a job (not converted in place).
LONG_BODY = "\n\n".join(
    f"## Part {number}\n\nInterleukin-2 is given in hospital. See [[Part {number + 1}]]."
    for number in range(INLINE_RENDER_BYTES // 60)
)
# A table long enough that WeasyPrint takes seconds, within the PDF length bound.
TABLE_BODY = "| Cancer | Patients | Response |\n|---|---|---|\n" + "".join(
    f"| Metastatic renal cell carcinoma {number} | 255 | 15% |\n" for number in range(500)
)
HOSTILE_INPUTS = {
    "15 KB of [": ("[" * 15000, "square brackets"),
    "4,000 [[": ("[[" * 4000, "square brackets"),
    "1,200 wiki links": (" ".join(f"[[Page {n}]]" for n in range(1200)), "wiki links"),
    "unclosed [": ("[a " * 2000, "cannot be matched quickly"),
    "10,000 identical headings": ("## Same heading\n\n" * 10000, "headings"),
    "footnotes": (
        " ".join(f"Claim[^{n}]." for n in range(800))
        + "\n\n"
        + "".join(f"[^{n}]: note {n}\n" for n in range(800)),
        "footnote marks",
    ),
    "deep lists": (
        "\n".join("    " * level + f"- level {level}" for level in range(60)),
        f"the most allowed is {MAX_NESTING_DEPTH}",
    ),
}


@pytest.fixture
def slots(settings, tmp_path):
    """Two job slots of this test's own."""
    settings.WIKI_JOB_SLOT_DIR = str(tmp_path / "slots")
    settings.WIKI_JOB_SLOTS = 2
    return jobs.slot_paths()


@pytest.fixture
def client(client):
    client.defaults.update({"HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https"})
    return client


def write_pid_and_sleep(path: str) -> None:
    # Runs in the job.
    Path(path).write_text(str(os.getpid()))
    time.sleep(60)


def is_running(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def running_jobs() -> list[int]:
    """Live processes below this one's children (the job server's jobs)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    children = {pid for pid, parent in parents.items() if parent == os.getpid()}
    return [pid for pid, parent in parents.items() if parent in children]


def wait_until(condition, seconds=2.0):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_job_past_its_deadline_is_killed(slots, tmp_path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()

    # Long enough for the job to start on a busy machine, far shorter than
    # its sleep.
    with pytest.raises(jobs.JobTimedOut):
        jobs.run_job(write_pid_and_sleep, str(pid_file), deadline=5.0, slot_wait=5.0)

    assert time.monotonic() - started < 15
    pid = int(pid_file.read_text())
    assert wait_until(lambda: not is_running(pid))


def test_job_returns_what_the_function_returns(slots):
    rendered = render_markdown(LONG_BODY)

    html, targets, link_titles = jobs.run_job(jobs_render, LONG_BODY, deadline=30, slot_wait=5)

    assert (html, targets, link_titles) == (
        rendered.html,
        rendered.targets,
        rendered.link_titles,
    )


def jobs_render(body):
    rendered = render_markdown(body)
    return rendered.html, rendered.targets, rendered.link_titles


def test_markup_error_in_a_job_is_raised_in_the_caller(slots):
    with pytest.raises(MarkupTooComplex) as raised:
        jobs.run_job(render_markdown, HOSTILE_INPUTS["deep lists"][0], deadline=30, slot_wait=5)
    assert raised.value.code == "too_deep"


def test_job_frees_its_slot(slots):
    jobs.run_job(render_markdown, "Some *text*.", deadline=30, slot_wait=5)
    jobs.run_job(render_markdown, "Some *text*.", deadline=30, slot_wait=5)
    jobs.run_job(render_markdown, "Some *text*.", deadline=30, slot_wait=5)
    for path in slots:
        with open(path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


@pytest.mark.django_db
def test_pdf_past_its_deadline_kills_its_job_and_answers_503(
    client, make_page, settings, slots, caplog
):
    make_page("Interleukin-2", TABLE_BODY)
    settings.WIKI_PDF_TIME_LIMIT = 1
    started = time.monotonic()

    with caplog.at_level(logging.ERROR, logger="wiki.pdf"):
        response = client.get("/wiki/Interleukin-2/pdf/")

    assert time.monotonic() - started < 5
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "The PDF could not be made just now" in response.content.decode()
    assert "not made within 1 s" in caplog.text
    assert wait_until(lambda: running_jobs() == [])


@pytest.mark.django_db
def test_pdf_with_every_slot_taken_answers_503_with_retry_after(client, make_page, settings, slots):
    make_page("Interleukin-2", "A short page.")
    settings.WIKI_JOB_SLOT_WAIT = 0
    handles = held(slots)
    try:
        busy = client.get("/wiki/Interleukin-2/pdf/")
    finally:
        for handle in handles:
            handle.close()

    assert busy.status_code == 503
    assert busy["Retry-After"] == "30"
    assert "try again" in busy.content.decode()
    free = client.get("/wiki/Interleukin-2/pdf/")
    assert free.status_code == 200
    assert free.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_pdf_of_a_page_too_long_answers_at_once_suggesting_print(client, make_page, slots):
    rows = "".join(f"| Row {number} | 255 | 15% |\n" for number in range(5000))
    make_page("Long table", "| A | B | C |\n|---|---|---|\n" + rows)
    started = time.monotonic()

    response = client.get("/wiki/Long_table/pdf/")

    assert time.monotonic() - started < 2
    assert response.status_code == 413
    assert "No PDF for a page this long" in response.content.decode()
    assert "Print" in response.content.decode()


@pytest.mark.django_db
def test_long_medical_page_still_gets_its_pdf(client, make_page, slots):
    sections = "".join(
        f"## Section {number}\n\n"
        + "Renal cell carcinoma is treated with [[Interleukin-2]] in some patients. " * 6
        + "\n\n| Drug | Patients | Response |\n|---|---|---|\n"
        + "| IL-2 | 255 | 15% |\n| Nivolumab | 410 | 25% |\n\n"
        for number in range(40)
    )
    make_page("Renal cell carcinoma", sections)

    response = client.get("/wiki/Renal_cell_carcinoma/pdf/")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE_INPUTS)
@pytest.mark.parametrize("action", [{"preview": "1"}, {}], ids=["preview", "save"])
def test_hostile_markup_is_refused_with_400_and_nothing_is_saved(moderator_client, name, action):
    body, message = HOSTILE_INPUTS[name]
    started = time.monotonic()

    response = moderator_client.post("/wiki/Hostile/edit/", edit_data(body, **action))

    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Page.objects.filter(title="Hostile").exists()
    assert not Revision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("action", [{"preview": "1"}, {}], ids=["preview", "save"])
def test_render_past_its_deadline_is_a_form_error(moderator_client, settings, slots, action):
    settings.WIKI_RENDER_TIME_LIMIT = 0.001

    response = moderator_client.post("/wiki/Slow/edit/", edit_data(LONG_BODY, **action))

    assert response.status_code == 400
    assert "took longer than 0.001 seconds" in response.content.decode()
    assert not Page.objects.filter(title="Slow").exists()


@pytest.mark.django_db
def test_stored_body_past_the_render_deadline_shows_the_notice(client, make_page, settings):
    make_page("Slow", LONG_BODY)
    cache.clear()
    settings.WIKI_RENDER_TIME_LIMIT = 0.001

    response = client.get("/wiki/Slow/")

    assert response.status_code == 200
    assert "This text cannot be shown" in response.content.decode()


def first_query_in_transaction_sees(body):
    """Record, for the first query run inside a transaction, whether the
    render cache held ``body`` then."""
    seen = []

    def record(execute, sql, params, many, context):
        if connection.in_atomic_block and not seen:
            seen.append(cache.get(render_cache_key(body)) is not None)
        return execute(sql, params, many, context)

    return seen, record


@pytest.mark.django_db(transaction=True)
def test_save_renders_before_its_transaction_opens():
    # Called directly (as import, revert and the demo loader do), with a cold
    # cache: no form has rendered the body beforehand.
    seen, record = first_query_in_transaction_sees(LONG_BODY)

    with connection.execute_wrapper(record):
        save_page("Interleukin-2", LONG_BODY)

    assert seen == [True]
    assert cached_render(LONG_BODY).targets


@pytest.mark.django_db(transaction=True)
def test_import_renders_before_its_transaction_opens():
    record = PageRecord(
        title="Interleukin-2", revisions=[ImportedRevision(content=PageContent(body=LONG_BODY))]
    )
    seen, wrapper = first_query_in_transaction_sees(LONG_BODY)

    with connection.execute_wrapper(wrapper):
        import_records([record])

    assert seen == [True]
    assert Page.objects.get(title="Interleukin-2").body == LONG_BODY


def held(paths):
    """Lock every slot file, as running jobs would."""
    handles = [open(path, "a") for path in paths]  # noqa: SIM115
    for handle in handles:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handles


@pytest.mark.django_db
def test_save_with_every_slot_taken_answers_503_and_keeps_nothing(
    moderator_client, settings, slots
):
    settings.WIKI_RENDER_TIME_LIMIT = 0.2
    handles = held(slots)
    try:
        response = moderator_client.post("/wiki/Busy/edit/", edit_data(LONG_BODY))
    finally:
        for handle in handles:
            handle.close()

    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "too busy" in response.content.decode()
    assert LONG_BODY[:40] in response.content.decode()  # the text stays in the form
    assert not Page.objects.filter(title="Busy").exists()


@pytest.mark.django_db
def test_reader_page_view_does_not_wait_for_a_slot(client, make_page, settings, slots):
    make_page("Interleukin-2", LONG_BODY)
    cache.clear()
    settings.WIKI_RENDER_TIME_LIMIT = 30
    handles = held(slots)
    try:
        started = time.monotonic()
        response = client.get("/wiki/Interleukin-2/")
    finally:
        for handle in handles:
            handle.close()

    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert '<h2 id="part-1">Part 1</h2>' in response.content.decode()
