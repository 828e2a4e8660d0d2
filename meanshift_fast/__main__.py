"""`python -m meanshift_fast` runs the `meanshift-fast` command."""

import sys

from meanshift_fast.cli import main

sys.exit(main())
