import sys

from lac_outcomes.cli import main

sys.exit(main())
