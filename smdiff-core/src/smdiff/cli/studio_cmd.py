"""``smdiff studio``: the browser app for infilling — open a song, regenerate a selection, listen, keep, download."""

from __future__ import annotations

import ipaddress
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from smdiff.errors import ConfigError, DataError
from smdiff.plugins import PluginHost
from smdiff.progress import status, warn


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_studio_command(host: PluginHost):
    """Build the ``studio`` command bound to ``host``."""

    def studio(
        load_dir: Annotated[Path, typer.Option("--load-dir", help="Run directory whose model fills the gaps.")],
        port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8765,
        bind: Annotated[
            str,
            typer.Option("--host", help="Address to bind; anything but 127.0.0.1/localhost is reachable by others."),
        ] = "127.0.0.1",
        midi_dir: Annotated[
            Path | None, typer.Option("--midi-dir", help="Offer the MIDI files of this folder.")
        ] = None,
        soundfont: Annotated[
            Path | None, typer.Option("--soundfont", help="General MIDI soundfont (.sf2/.sf3) for audio.")
        ] = None,
        load_step: Annotated[
            int | None, typer.Option("--load-step", help="Checkpoint step; 0 = best; default latest.")
        ] = None,
        device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    ) -> None:
        """Serve the studio: a local web page to regenerate bars and tracks of a song with a trained run."""
        import uvicorn

        from smdiff.inference import load_run
        from smdiff.studio.app import create_app
        from smdiff.studio.audio import AudioSetup
        from smdiff.studio.engine import Engine

        if not 1 <= port <= 65535:
            raise ConfigError(f"--port {port} is not a port number; use 1-65535 (default 8765)")
        if midi_dir is not None and not midi_dir.is_dir():
            raise DataError(f"--midi-dir {midi_dir} is not a folder; pass a folder of .mid files")
        run = load_run(load_dir, load_step=load_step, ema=True, registries=host.registries, device=device)
        audio = AudioSetup.find(soundfont)
        if audio.problem is not None:
            warn(f"audio is off: {audio.problem}")
        if not is_loopback(bind):
            warn(f"--host {bind} makes the studio reachable from other machines; it has no login")
        workdir = Path(tempfile.mkdtemp(prefix="smdiff-studio-"))
        try:
            app = create_app(Engine(run, workdir, host.registries), audio, midi_dir.resolve() if midi_dir else None)
            shown = f"[{bind}]" if ":" in bind else bind
            status(
                f"smdiff studio: {run.config.model.id} on {run.tokenizer.id}, step {run.step} "
                f"({run.checkpoint}); uploads in {workdir} until exit"
            )
            status(f"open http://{shown}:{port}/ in a browser (Ctrl+C stops)")
            uvicorn.run(app, host=bind, port=port, log_level="warning")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    return studio
