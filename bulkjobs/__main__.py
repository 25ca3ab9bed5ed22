import sys

from bulkjobs.cli import main

sys.exit(main())
