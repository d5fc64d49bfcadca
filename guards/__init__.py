"""Guards shared by every layer (``theory``, ``numerics``, ``proofs_check``): one input-error format, the machine's
memory limit, and a deadline that spans a whole command.  Neither side of the two derivations depends on the other
through this package: it holds no mathematics.
"""

from .deadline import Deadline
from .errors import BoundExceeded, InputError, ResourceError, invalid, show
from .expression import parse_activation
from .memory import check_memory, format_bytes, memory_limit
from .rules import integer, real_list

__all__ = ["BoundExceeded", "Deadline", "InputError", "check_memory", "format_bytes", "integer", "invalid",
           "memory_limit", "parse_activation", "real_list", "ResourceError", "show"]
