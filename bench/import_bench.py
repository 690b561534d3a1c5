"""Time importmediawiki on a generated MediaWiki dump.

Usage: make bench-import (PAGES=... to scale down; 10,000 by default, 10
revisions a page). Writes a schema 0.11 dump as dumpBackup.php --full does
(streamed to a temporary file), imports it into a fresh temporary SQLite
database (this process writes, its conversion workers convert), and prints
revisions a second, the memory (RSS) of this process and of each worker at
25, 50, 75 and 100% of the revisions, and this process's peak.
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
REVISIONS_PER_PAGE = 10
AUTHORS = ("Alice Editor", "Bob Writer", "Carol Nurse", "Dan Pharmacist", "192.0.2.7")
TEMPLATES = {
    "Drug": (
        "'''{{{1}}}''' (brand name: {{{name|not given}}}) is a medicine used for kidney cancer."
    ),
    "Dose note": "'''Dose:''' {{{1|your care team will work out the right dose for you}}}.",
}

SECTION = """== {heading} ==
{name} is given in hospital by a team used to it.\
<ref>Example Cancer Society, ''Guide {number}'', 2023.</ref>
The dose depends on your weight &amp; on how well your kidneys work.<br>Ask your nurse \
about [[{other}|the related page]] or the [[{other}#Side effects|side effects]].

* Before treatment
** Blood tests and a ''heart'' check
** A talk with your '''specialist'''
* During treatment
*# Checks every few hours
*# Fluids through a drip
# Read [https://example.org/guide/{number} the printed guide]
# See https://example.org/help for more help

{{{{Dose note|{dose}}}}}

"""
TABLE = """{{| class="wikitable"
|+ Doses on page {number}
! Week !! Dose !! Notes
|-
| 1 || 600,000 units/kg || in hospital
|-
| 2 || rest || at home
|}}

"""


def page_text(number: int, revision: int) -> str:
    """2-5 KB of wikitext for revision ``revision`` of page ``number``."""
    name = f"Treatment {number}"
    other = f"Treatment {(number * 7 + 3) % 10000}"
    parts = [f"{{{{Drug|{name.lower()}|name=Brand {number}}}}}\n\n"]
    for section in range(4 + revision % 4):
        parts.append(
            SECTION.format(
                heading=f"Part {section + 1}",
                name=name,
                number=number,
                other=other if section % 2 == 0 else f"Missing page {number}",
                dose=f"{600 + revision * 10},000 units per kilogram",
            )
        )
    parts.append(TABLE.format(number=number))
    parts.append(f"Last checked in revision {revision}.\n\n== References ==\n<references />\n\n")
    parts.append(f"[[Category:Treatments|{name}]]\n[[Category:Benchmark]]")
    return "".join(parts)


def contributor(name: str) -> str:
    if name[0].isdigit():
        return f"<contributor><ip>{name}</ip></contributor>"
    user_id = AUTHORS.index(name) + 1
    return f"<contributor><username>{escape(name)}</username><id>{user_id}</id></contributor>"


def write_dump(path: Path, pages: int) -> int:
    """Write the dump; return the number of revisions."""
    revision_id = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" '
            'xml:lang="en">\n<siteinfo><sitename>Bench</sitename><namespaces>'
            '<namespace key="0" case="first-letter" />'
            '<namespace key="10" case="first-letter">Template</namespace>'
            '<namespace key="14" case="first-letter">Category</namespace>'
            "</namespaces></siteinfo>\n"
        )
        for page_id in range(1, pages + 1):
            out.write(f"<page><title>Treatment {page_id - 1}</title><ns>0</ns><id>{page_id}</id>\n")
            for revision in range(REVISIONS_PER_PAGE):
                revision_id += 1
                minor = "<minor/>" if revision % 4 == 3 else ""
                out.write(
                    f"<revision><id>{revision_id}</id>"
                    f"<timestamp>2020-{1 + revision:02d}-{1 + page_id % 28:02d}T10:00:00Z"
                    f"</timestamp>{contributor(AUTHORS[(page_id + revision) % len(AUTHORS)])}"
                    f"{minor}<comment>edit {revision}</comment><model>wikitext</model>"
                    f'<format>text/x-wiki</format><text xml:space="preserve">'
                    f"{escape(page_text(page_id - 1, revision))}</text></revision>\n"
                )
            out.write("</page>\n")
        for offset, (name, text) in enumerate(TEMPLATES.items(), start=1):
            revision_id += 1
            out.write(
                f"<page><title>Template:{name}</title><ns>10</ns><id>{pages + offset}</id>"
                f"<revision><id>{revision_id}</id><timestamp>2019-01-01T00:00:00Z</timestamp>"
                f'{contributor(AUTHORS[0])}<text xml:space="preserve">{escape(text)}</text>'
                "</revision></page>\n"
            )
        out.write("</mediawiki>\n")
    return pages * REVISIONS_PER_PAGE


def rss_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:  # a process that has just ended
        pass
    return 0.0


def worker_rss_mb() -> list[float]:
    """The memory of each conversion worker (this process's children)."""
    children = []
    for task in Path("/proc/self/task").iterdir():
        try:
            children += (task / "children").read_text().split()
        except FileNotFoundError:
            continue
    return [rss_mb(pid) for pid in children]


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process, and of its ended children (the workers)."""
    return tuple(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def main():
    pages = int(os.environ.get("PAGES") or (sys.argv[1] if len(sys.argv) > 1 else 10000))
    with tempfile.TemporaryDirectory() as directory:
        os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
        os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
        os.environ.setdefault("WIKI_JOB_SLOT_DIR", f"{directory}/slots")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kcr.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        from wiki import mediawiki

        dump = Path(directory) / "dump.xml"
        started = time.perf_counter()
        total = write_dump(dump, pages)
        print(
            f"dump: {pages} pages, {total} revisions, {dump.stat().st_size / 1e6:.0f} MB "
            f"in {time.perf_counter() - started:.1f} s"
        )
        call_command("migrate", verbosity=0)
        marks = {25: None, 50: None, 75: None, 100: None}

        def progress(done):
            for mark in marks:
                if marks[mark] is None and done * 100 >= total * mark:
                    marks[mark] = (time.perf_counter() - started, rss_mb(), worker_rss_mb())

        started = time.perf_counter()
        cpu_started = cpu_seconds()
        summary = mediawiki.check_dump(str(dump))
        checked = time.perf_counter() - started
        report = mediawiki.import_dump(str(dump), summary, progress=progress)
        elapsed = time.perf_counter() - started
        own_cpu, workers_cpu = (
            now - then for now, then in zip(cpu_seconds(), cpu_started, strict=True)
        )
        cpu = own_cpu + workers_cpu
    print("\n".join(report.lines()))
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"check pass: {checked:.1f} s")
    print(f"{'done':>6}{'seconds':>10}{'RSS MB':>9}  workers' RSS MB")
    for mark, (seconds, rss, workers) in marks.items():
        shown = " ".join(f"{worker:.0f}" for worker in workers) or "-"
        print(f"{mark:>5}%{seconds:>10.1f}{rss:>9.0f}  {shown}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    imported = report.revisions.count
    print(
        f"imported {imported} revisions of {report.pages_created.count} pages in {elapsed:.1f} s: "
        f"{imported / elapsed:.0f} revisions a second; peak RSS {peak:.0f} MB"
    )
    # On a busy machine the processes wait for a CPU: their CPU time says
    # what the import costs.
    print(
        f"CPU time {cpu:.1f} s (this process and its {mediawiki.conversion_workers()} "
        f"conversion workers): {imported / cpu:.0f} revisions a CPU second"
    )
    per_page = 1000 / max(report.pages_created.count, 1)
    print(
        f"CPU a page: {cpu * per_page:.1f} ms (this process, which checks and reads the dump "
        f"and writes: {own_cpu * per_page:.1f} ms; the workers: {workers_cpu * per_page:.1f} ms)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
