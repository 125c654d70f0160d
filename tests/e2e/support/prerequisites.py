"""What a test needs beyond the binary and Debian's Python: a missing prerequisite fails the test
and says what to install. It is skipped instead only when the environment variable
PREDICTWIRE_ALLOW_SKIP names it (a comma-separated list, e.g. PREDICTWIRE_ALLOW_SKIP=chromium,ipv6),
so that a run without it is a choice someone made, and ctest then reports the file as skipped
rather than passed (tests/CMakeLists.txt). tests/README.md lists the names."""

import os
import shutil
import unittest

ALLOWED_SKIPS = {name.strip() for name in os.environ.get("PREDICTWIRE_ALLOW_SKIP", "").split(",") if name.strip()}


class PrerequisiteMissing(AssertionError):
    """A prerequisite is missing and PREDICTWIRE_ALLOW_SKIP does not name it."""


def require(name, present, why):
    """Returns if `present`; otherwise skips (unittest.SkipTest) when PREDICTWIRE_ALLOW_SKIP names
    `name`, else fails (PrerequisiteMissing) with `why`. Call it from a test, setUpClass or
    setUpModule."""
    if present:
        return
    if name in ALLOWED_SKIPS:
        raise unittest.SkipTest(f"{why} (skipped: PREDICTWIRE_ALLOW_SKIP names {name})")
    raise PrerequisiteMissing(f"{why}; to skip instead, set PREDICTWIRE_ALLOW_SKIP={name}")


def require_commands(*commands, package_hint=""):
    """require() for commands on PATH, each by its own name (e.g. h2load, promtool)."""
    for command in commands:
        require(command, shutil.which(command) is not None,
                f"'{command}' is not on PATH{': ' + package_hint if package_hint else ''} "
                "(scripts/setup.sh installs it)")
