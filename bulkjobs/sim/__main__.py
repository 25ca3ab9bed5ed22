"""``python -m bulkjobs.sim``: the simulator without the rest of the CLI."""

import sys

from bulkjobs.sim._cli import main

if __name__ == "__main__":
    sys.exit(main())
