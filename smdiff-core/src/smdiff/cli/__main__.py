"""``python -m smdiff.cli``."""

from smdiff.cli.main import main

main()
