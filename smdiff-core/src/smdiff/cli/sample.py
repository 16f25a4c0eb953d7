"""``python -m smdiff.cli.sample``: the seed's module form of ``smdiff sample``."""

import sys

from smdiff.cli.main import main

if __name__ == "__main__":
    main(["sample", *sys.argv[1:]])
