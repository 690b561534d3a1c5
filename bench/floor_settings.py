"""The benchmark's floor: the project's own settings and middleware, but one
trivial view that returns a page's bytes from memory. What Django itself can
serve on this machine; every other figure is shown as a ratio to it."""

from kcr.settings import *  # noqa: F403 (the floor must match the real settings)

ROOT_URLCONF = "bench.floor_urls"
