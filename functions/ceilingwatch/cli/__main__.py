"""`python -m ceilingwatch.cli`, the same as the `ceilingwatch` console script."""

import sys

from ceilingwatch.cli.entry import main

sys.exit(main())
