"""``python -m smdiff.cli.train``: the seed's module form of ``smdiff train``."""

import sys

from smdiff.cli.main import main

if __name__ == "__main__":
    main(["train", *sys.argv[1:]])
