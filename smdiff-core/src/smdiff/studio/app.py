"""The studio's web app: the page, and a JSON API whose errors are ``{"error": message}`` with a 4xx status.

Routes (docs/studio.md has examples): ``GET /api/info``, ``GET /api/files``,
``POST /api/open``, ``POST /api/upload``, ``GET /api/piece/<id>`` (piano-roll
data), ``GET /api/piece/<id>.mid``, ``GET /api/piece/<id>.wav``,
``POST /api/infill``, ``POST /api/generate``, ``POST /api/chords`` (a new
version with the chords of some bars set), ``GET /api/progress/<job>``,
``POST /api/cancel/<job>``. Generation runs in a worker thread, so the server
keeps answering (progress, cancel, audio) while the model works.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from smdiff.config.schema import SampleConfig
from smdiff.errors import SmdiffError
from smdiff.midi import MIDI_SUFFIXES, find_midi_files
from smdiff.studio.audio import AudioSetup
from smdiff.studio.engine import PAGE_SETTINGS, Busy, Cancelled, Engine, page_settings
from smdiff.studio.pieces import StudioPiece
from smdiff.tasks import Selection

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
STATIC = Path(__file__).parent / "static"
PIECE_ID = re.compile(r"[0-9a-f]{16}")
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class ApiError(Exception):
    """A request the server refuses: its status and one line saying what to change."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, ApiError):
        return JSONResponse({"error": str(error)}, status_code=error.status)
    if isinstance(error, Busy):
        return JSONResponse({"error": str(error)}, status_code=429)
    if isinstance(error, Cancelled):
        return JSONResponse({"error": "generation cancelled"}, status_code=409)
    if isinstance(error, HTTPException):
        return JSONResponse({"error": error.detail}, status_code=error.status_code)
    if isinstance(error, SmdiffError):
        return JSONResponse({"error": str(error)}, status_code=400)
    return JSONResponse({"error": f"internal error: {type(error).__name__}: {error}"}, status_code=500)


def create_app(engine: Engine, audio: AudioSetup, midi_dir: Path | None) -> Starlette:
    """The studio app serving ``engine``'s run; ``midi_dir`` offers its MIDI files to open."""
    uploads = engine.workdir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    audio_dir = engine.workdir / "audio"
    audio_dir.mkdir(exist_ok=True)

    def piece_of(piece_id: str) -> StudioPiece:
        piece = engine.pieces.get(piece_id) if PIECE_ID.fullmatch(piece_id) else None
        if piece is None:
            raise ApiError(404, f"no piece {piece_id!r} in this session; open or upload a MIDI file first")
        return piece

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = json.loads(await request.body() or b"{}")
        except json.JSONDecodeError as error:
            raise ApiError(400, f"the request body is not JSON ({error.msg})") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        return data

    def settings_of(data: dict[str, Any]) -> SampleConfig:
        return page_settings({name: data[name] for name in PAGE_SETTINGS if name in data})

    def copy_of(data: dict[str, Any], settings: SampleConfig) -> SampleConfig:
        """``settings`` with the bars the selection repeats or varies (``repeat_from``/``vary_from``, 1-based)."""
        asked = [name for name in ("repeat_from", "vary_from") if data.get(name) is not None]
        if len(asked) > 1:
            raise ApiError(400, "give repeat_from or vary_from, not both")
        for name in asked:
            first, last = bars_of(data, name)
            return attrs.evolve(settings, **{name: f"{first - 1}-{last}"})
        return settings

    def bars_of(data: dict[str, Any], name: str = "bars") -> tuple[int, int]:
        """The request's bar range ``name``: [first, last], 1-based and inclusive."""
        bars = data.get(name)
        if not (isinstance(bars, list) and len(bars) == 2 and all(isinstance(b, int) for b in bars)):
            raise ApiError(400, f"{name} must be [first, last], 1-based and inclusive, e.g. [9, 12]")
        first, last = bars
        if first < 1 or last < first:
            raise ApiError(400, f"{name} [{first}, {last}] are not a range; give [first, last] with 1 <= first <= last")
        return first, last

    def job_of(data: dict[str, Any]) -> str | None:
        job = data.get("job")
        if job is not None and not (isinstance(job, str) and JOB_ID.fullmatch(job)):
            raise ApiError(400, "job must be up to 64 letters, digits, '-' or '_'")
        return job

    async def page(request: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def info(request: Request) -> JSONResponse:
        return JSONResponse({**engine.info(), "audio": audio.problem is None, "audio_problem": audio.problem,
                             "midi_dir": midi_dir is not None})  # fmt: skip

    async def files(request: Request) -> JSONResponse:
        if midi_dir is None:
            return JSONResponse({"files": []})
        return JSONResponse({"files": [str(p.relative_to(midi_dir)) for p in find_midi_files(midi_dir)]})

    async def open_file(request: Request) -> JSONResponse:
        data = await body(request)
        name = data.get("file")
        if midi_dir is None:
            raise ApiError(400, "this studio offers no folder; start it with --midi_dir DIR, or upload a file")
        if not isinstance(name, str) or not name:
            raise ApiError(400, 'give the file to open as {"file": "relative/path.mid"} (see GET /api/files)')
        path = (midi_dir / name).resolve()
        if not path.is_relative_to(midi_dir) or path.suffix.lower() not in MIDI_SUFFIXES or not path.is_file():
            raise ApiError(404, f"{name!r} is not a MIDI file in the studio's folder (see GET /api/files)")
        piece = await run_in_threadpool(engine.open, path.name, path, path)
        return JSONResponse(engine.view(piece))

    async def upload(request: Request) -> JSONResponse:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_UPLOAD_BYTES + 64 * 1024:
            raise ApiError(413, f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB; MIDI files are far smaller")
        try:
            form = await request.form(max_files=1, max_fields=4)
        except Exception as error:  # a body that is not multipart
            raise ApiError(400, f"send the file as multipart/form-data in the field 'file' ({error})") from None
        file = form.get("file")
        if file is None or isinstance(file, str):
            raise ApiError(400, "send the file as multipart/form-data in the field 'file'")
        content = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            raise ApiError(413, f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MB; MIDI files are far smaller")
        if not content.startswith(b"MThd"):
            raise ApiError(400, f"{file.filename or 'the upload'} is not a MIDI file (it does not start with MThd)")
        stored = uploads / f"{secrets.token_hex(8)}.mid"  # never a name from the client
        stored.write_bytes(content)
        name = Path(file.filename or "upload.mid").name
        piece = await run_in_threadpool(engine.open, name, stored, None)
        return JSONResponse(engine.view(piece))

    async def piece_data(request: Request) -> JSONResponse:
        return JSONResponse(engine.view(piece_of(request.path_params["piece_id"])))

    async def piece_midi(request: Request) -> Response:
        piece = piece_of(request.path_params["piece_id"])
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(piece.name).stem)[:60] or "piece"
        return Response(piece.score.dumps_midi(), media_type="audio/midi",
                        headers={"Content-Disposition": f'attachment; filename="{stem}-{piece.id[:6]}.mid"'})  # fmt: skip

    async def piece_audio(request: Request) -> Response:
        piece = piece_of(request.path_params["piece_id"])
        if audio.problem is not None:
            raise ApiError(404, f"no audio: {audio.problem}")
        wav = audio_dir / f"{piece.id}.wav"
        if not wav.exists():
            await run_in_threadpool(audio.render, piece.score, wav)
        return FileResponse(wav, media_type="audio/wav")

    async def infill(request: Request) -> JSONResponse:
        data = await body(request)
        piece = piece_of(str(data.get("piece", "")))
        first, last = bars_of(data)
        tracks = data.get("tracks")
        if not (isinstance(tracks, list) and tracks and all(isinstance(t, str) for t in tracks)):
            raise ApiError(400, f"tracks must name at least one of the model's tracks, e.g. {engine.info()['slots']}")
        task = data.get("task", "infill")
        if not isinstance(task, str):
            raise ApiError(400, f"task must name a task that keeps the song, one of {engine.info()['tasks']}")
        selection = Selection.bars(first - 1, last, tracks)
        settings, job = copy_of(data, settings_of(data)), job_of(data)
        variants = await run_in_threadpool(engine.infill, piece, selection, settings, job, task)
        return JSONResponse({"variants": [engine.view(v) for v in variants]})

    async def chords(request: Request) -> JSONResponse:
        data = await body(request)
        piece = piece_of(str(data.get("piece", "")))
        first, last = bars_of(data)
        text = data.get("chords")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(
                400, 'chords must be a progression, a chord a bar ("C G Am F") or with lengths ("C*2 G*0.5")'
            )
        return JSONResponse(engine.view(await run_in_threadpool(engine.set_chords, piece, first - 1, last, text)))

    async def generate(request: Request) -> JSONResponse:
        data = await body(request)
        settings, job = settings_of(data), job_of(data)
        pieces = await run_in_threadpool(engine.generate, settings, job)
        return JSONResponse({"variants": [engine.view(p) for p in pieces]})

    async def progress(request: Request) -> JSONResponse:
        state = engine.progress(request.path_params["job"])
        if state is None:
            return JSONResponse({"running": False})
        return JSONResponse({"running": True, "step": state.step, "total": state.total})

    async def cancel(request: Request) -> JSONResponse:
        return JSONResponse({"cancelled": engine.cancel(request.path_params["job"])})

    routes = [
        Route("/", page),
        Route("/api/info", info),
        Route("/api/files", files),
        Route("/api/open", open_file, methods=["POST"]),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/piece/{piece_id}.mid", piece_midi),
        Route("/api/piece/{piece_id}.wav", piece_audio),
        Route("/api/piece/{piece_id}", piece_data),
        Route("/api/infill", infill, methods=["POST"]),
        Route("/api/generate", generate, methods=["POST"]),
        Route("/api/chords", chords, methods=["POST"]),
        Route("/api/progress/{job}", progress),
        Route("/api/cancel/{job}", cancel, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {kind: _error for kind in (ApiError, Busy, Cancelled, SmdiffError, HTTPException, Exception)}
    return Starlette(routes=routes, exception_handlers=handlers)  # type: ignore[arg-type]
