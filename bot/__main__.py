"""`python -m bot` is the same as `hindsight`."""

import sys

from bot.cli import main

sys.exit(main())
