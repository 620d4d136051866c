import sys

from klantstuur.cli import main

sys.exit(main())
