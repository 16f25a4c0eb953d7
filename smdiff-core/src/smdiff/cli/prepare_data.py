"""``python -m smdiff.cli.prepare_data``: the seed's module form of ``smdiff prepare``."""

import sys

from smdiff.cli.main import main

if __name__ == "__main__":
    main(["prepare", *sys.argv[1:]])
