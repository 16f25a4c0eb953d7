"""Console entry point of ``smdiff``."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    """Run the ``smdiff`` command line."""
    import sys

    if (sys.argv[1:] if argv is None else argv) == ["--version"]:  # answered before any plugin is loaded
        from smdiff import __version__

        print(f"smdiff {__version__}")
        return
    from smdiff.cli.app import build_app

    build_app()(args=argv, prog_name="smdiff")


if __name__ == "__main__":
    main()
