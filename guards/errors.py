"""The errors every layer of the workbench raises on bad input or an exhausted bound.

One message format for the command line and the Python API: ``<argument>=<value>: <rule>``, on one line, naming
the argument (as the caller spelled it: ``--init-scale`` on the command line, ``init_scale`` in the API), the value
that was given and the rule it broke.  :func:`invalid` builds it; :class:`InputError` keeps the three parts so a
front end can render them (the CLI's ``--json`` error object does).
"""

from __future__ import annotations

from typing import Any

MAX_VALUE_CHARS = 60


def show(value: Any) -> str:
    """The value as the user would recognise it, shortened to one line of at most ``MAX_VALUE_CHARS``."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(str(text).split()) if isinstance(value, str) else text.replace("\n", " ")
    if isinstance(value, str):
        text = repr(text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


class InputError(ValueError):
    """Bad input: the one-line message names the argument, the value and the rule.

    ``argument``, ``value`` and ``rule`` are set when the error was built by :func:`invalid` (None otherwise).
    """

    def __init__(self, message: str, *, argument: str | None = None, value: Any = None, rule: str | None = None):
        super().__init__(" ".join(str(message).split()))
        self.argument, self.value, self.rule = argument, value, rule


def invalid(argument: str, value: Any, rule: str, cls: type[InputError] = InputError) -> InputError:
    """An :class:`InputError` (or subclass ``cls``) with the message ``<argument>=<value>: <rule>``.

    >>> str(invalid("--init-scale", -1.0, "must be finite and > 0"))
    '--init-scale=-1.0: must be finite and > 0'
    """
    head = f"{argument} (not given)" if value is None else f"{argument}={show(value)}"
    return cls(f"{head}: {rule}", argument=argument, value=value, rule=rule)


class BoundExceeded(TimeoutError):
    """A run exhausted its wall-clock bound; the caller reports partial results."""


class ResourceError(RuntimeError):
    """Something the run needs from outside failed: the disk (full, read-only), a cluster (unreachable)."""
