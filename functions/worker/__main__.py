import sys

from functions.worker.main import main

sys.exit(main())
