"""Every command README.md shows works as written on a clean clone.

The commands are read from the README itself: its indented code blocks, and
the `python manage.py ...` / `make ...` spans in its text. They run in a
copy of the project in a temporary folder (no db.sqlite3, no var/, no
DJANGO_* settings in the environment, as after `git clone`), with `.venv`
pointing at the test run's own virtualenv, so they can never touch the
developer's database. Commands that serve until stopped or take minutes are
listed in SKIPPED with the test that covers them instead.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a clean clone holds that these commands need (plus the README itself).
COPIED = [
    "kcr",
    "wiki",
    "templates",
    "static",
    "tests",
    "manage.py",
    "Makefile",
    "README.md",
    "pyproject.toml",
    "requirements.txt",
    "requirements-dev.txt",
]
# Commands the README shows that this test does not run, and why.
SKIPPED = {
    "make run": "serves until stopped; its steps (migrate, loaddemo) run here",
    "make test": "the whole suite, which is running this test",
    'make test ARGS="-k redirect"': "the test suite again",
    'make test ARGS="tests/test_xss_corpus.py tests/test_browser_xss.py"': "the test suite again",
    'make test ARGS="-m browser"': "the test suite again",
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/kcr REDIS_URL=redis://127.0.0.1:6379/15 "
    "make test": "the test suite on PostgreSQL, which CI's second leg runs",
    "make serve": "serves until stopped; tests/test_security.py runs its gunicorn",
    "make serve-cached": "serves until stopped; tests/test_varnish.py runs varnishd with "
    "its VCL in front of the app",
    "make bench": "minutes of benchmarks (needs wrk)",
    "make bench-search": "minutes of benchmarks",
    "make bench-pdf": "minutes of benchmarks",
    "make bench-import": "minutes of benchmarks",
    ".venv/bin/python manage.py importmediawiki site.xml [--dry-run] [--workers N]": "needs a "
    "MediaWiki "
    "dump; tests/test_import_mediawiki.py runs it on the fixture dumps",
    "make bench-hostile": "a benchmark under gunicorn, minutes of hostile input",
    "make soak": "ten minutes of load against a PostgreSQL and a Redis of its own; "
    "tests/test_database_faults.py and tests/test_redis_down.py test the same faults",
    "make audit": "needs Node.js and npm, and minutes of Lighthouse",
    "manage.py createsuperuser": "asks its questions on a terminal only",
}
# Placeholders the README writes in capitals, and what this test types.
PLACEHOLDERS = {"NAME": "bob"}
PASSWORD = "a-long-and-unusual-readme-password\n"
COMMAND_SPAN = re.compile(
    r"`((?:\.venv/bin/)?python manage\.py [^`]+|manage\.py [^`]+|make [^`]+)`"
)


def readme_commands() -> list[str]:
    """The README's commands in the order it gives them: each indented code
    block line (with backslash continuations joined) and each command span."""
    text = (ROOT / "README.md").read_text()
    commands = []
    previous_blank = True
    lines = iter(text.splitlines())
    for line in lines:
        if line.startswith("    ") and line.strip() and previous_blank:
            command = line.strip()
            while command.endswith("\\"):
                command = command[:-1].rstrip() + " " + next(lines).strip()
            commands.append(command)
            continue
        previous_blank = not line.strip()
        for span in COMMAND_SPAN.findall(line):
            commands.append(span)
    # "`exportpages pages.jsonl` / `importpages pages.jsonl`" names the second
    # command without its prefix.
    if "python manage.py exportpages pages.jsonl" in commands:
        position = commands.index("python manage.py exportpages pages.jsonl")
        commands.insert(position + 1, "python manage.py importpages pages.jsonl")
    return list(dict.fromkeys(commands))


def test_readme_shows_the_commands_this_test_knows():
    commands = readme_commands()
    assert ".venv/bin/python manage.py createmoderator alice" in commands
    assert "python manage.py loaddemo" in commands
    assert "make install" in commands
    assert "make run" in commands


@pytest.fixture(scope="module")
def clean_clone(tmp_path_factory):
    clone = tmp_path_factory.mktemp("clone")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, clone / name, ignore=ignore)
        else:
            shutil.copy2(source, clone / name)
    (clone / ".venv").symlink_to(Path(sys.prefix))
    stamp = install_stamp()
    if stamp.exists():
        # The virtualenv was installed from these very requirements (the
        # stamp's name is their checksum) after the clone: as make sees it.
        before = stamp.stat().st_mtime - 60
        for name in ("requirements.txt", "requirements-dev.txt"):
            os.utime(clone / name, (before, before))
    return clone


def install_stamp() -> Path:
    """The Makefile's mark that the virtualenv holds the requirements."""
    # The Makefile's own pipeline (POSIX cksum, which Python does not have).
    checksum = subprocess.run(  # noqa: S602
        "cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Path(sys.prefix) / f".installed-{checksum}"


def clean_environment(clone: Path) -> dict:
    """The environment of someone who just cloned: no project settings, the
    virtualenv's python first on PATH (the README's `python` is the venv's)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "KCR_", "WIKI_", "CACHE_"))
    }
    env["PATH"] = f"{clone / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def runnable(command: str) -> str:
    for placeholder, value in PLACEHOLDERS.items():
        command = re.sub(rf"\b{placeholder}\b", value, command)
    if command.startswith("manage.py "):
        command = "python " + command
    return command


def test_every_readme_command_works_as_written(clean_clone):
    commands = [command for command in readme_commands() if command not in SKIPPED]
    if not install_stamp().exists():
        # Without the Makefile's stamp, `make install` would pip-install into
        # the test run's virtualenv: not something a test may do.
        pytest.skip(f"no {install_stamp()}: this virtualenv was not made by make install")
    # The database exists once migrated, as `make run` does first.
    commands.remove("python manage.py migrate")
    commands.insert(0, "python manage.py migrate")
    env = clean_environment(clean_clone)
    failures = []
    for command in commands:
        # Through the shell: the README's commands, as a reader types them.
        result = subprocess.run(  # noqa: S602
            runnable(command),
            shell=True,
            cwd=clean_clone,
            env=env,
            input=PASSWORD,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            failures.append(f"$ {command}\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    assert failures == [], "\n\n".join(failures)
    assert (clean_clone / "db.sqlite3").exists()  # the clone's own database
    # manage.py made the machine's key for itself, readable by its owner only.
    assert (clean_clone / "var" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (clean_clone / "pages.jsonl").read_text().count('"title"') >= 1


def test_readme_commands_reach_what_they_promise(clean_clone):
    """After the run above: alice and bob are moderators in the clone's own
    database, and the demo pages are there."""
    env = clean_environment(clean_clone)
    code = (
        "import django; django.setup(); "
        "from django.contrib.auth.models import User; from wiki.models import Page; "
        "print(sorted(User.objects.filter(groups__name='Moderators')"
        ".values_list('username', flat=True)), Page.objects.filter(title='Interleukin-2').count())"
    )
    result = subprocess.run(
        [str(clean_clone / ".venv" / "bin" / "python"), "-c", code],
        cwd=clean_clone,
        env={**env, "DJANGO_SETTINGS_MODULE": "kcr.settings", "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["['alice',", "'bob']", "1"]
