"""``python -m smdiff.cli.evaluate``: the seed's module form of ``smdiff evaluate``."""

import sys

from smdiff.cli.main import main

if __name__ == "__main__":
    main(["evaluate", *sys.argv[1:]])
