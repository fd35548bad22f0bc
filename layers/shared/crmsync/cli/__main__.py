import sys

from crmsync.cli.main import main

sys.exit(main())
