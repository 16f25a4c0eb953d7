"""smdiff studio: open a song in the browser, regenerate a selection of bars × tracks, listen, keep, download.

``smdiff studio --load_dir RUN`` serves :mod:`smdiff.studio.app` (a Starlette
app on uvicorn) and the page under ``static/``. The model work lives in
:mod:`smdiff.studio.engine`, the piece store in :mod:`smdiff.studio.pieces`,
audio in :mod:`smdiff.studio.audio`; docs/studio.md describes the HTTP API.
"""
