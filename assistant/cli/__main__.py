"""`python -m assistant.cli ...`"""

import sys

from assistant.cli.main import main

sys.exit(main())
