"""``python -m smdiff.cli.npz_to_midi``: the seed's module form of ``smdiff convert``."""

import sys

from smdiff.cli.main import main

if __name__ == "__main__":
    main(["convert", *sys.argv[1:]])
