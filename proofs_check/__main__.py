"""``python -m proofs_check`` is the ``s2s`` command."""

import sys

from .cli import main

sys.exit(main())
