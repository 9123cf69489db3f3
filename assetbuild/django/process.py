"""What this process is for, read from its command line: serving pages, or a tool.

A process that serves pages (``manage.py runserver``, a WSGI or ASGI server) must not start
without a release; ``migrate``, ``test``, ``check``, pytest and the other commands of a build
stage or CI run before the release is built, so they start without one.
"""

from __future__ import annotations

import os
import sys

# manage.py commands that serve pages: the release must be there before they start.
SERVING_COMMANDS = frozenset({"runserver", "testserver", "runserver_plus"})
MANAGE_PROGRAMS = frozenset({"manage.py", "django-admin", "django-admin.py"})


def manage_py_command(argv: list[str] | None = None) -> str | None:
    """The command run when this process is ``manage.py``, ``django-admin`` or ``python -m
    django`` (``"migrate"`` for ``python manage.py migrate``); None for any other program."""
    argv = sys.argv if argv is None else argv
    if not argv:
        return None
    program = argv[0]
    if (os.path.basename(program) not in MANAGE_PROGRAMS
            and not program.endswith(os.path.join("django", "__main__.py"))):
        return None
    return argv[1] if len(argv) > 1 else "help"


def serves_pages(argv: list[str] | None = None) -> bool:
    """True unless this process is a manage.py command that serves no pages, or a pytest
    run (pytest-django): a WSGI or ASGI server, ``runserver``, a worker or a script."""
    command = manage_py_command(argv)
    if command is not None:
        return command in SERVING_COMMANDS
    return "pytest" not in sys.modules
