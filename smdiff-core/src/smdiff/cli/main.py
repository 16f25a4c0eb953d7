"""Console entry point of ``smdiff``."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    """Run the ``smdiff`` command line."""
    from smdiff.cli.app import build_app

    build_app()(args=argv, prog_name="smdiff")


if __name__ == "__main__":
    main()
