"""``python -m nucsec`` is the ``nucsec`` command."""

import sys

from nucsec.cli import main

sys.exit(main())
