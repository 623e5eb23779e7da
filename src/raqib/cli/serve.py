"""`raqib serve`: the REST API (and its webhook delivery and batch workers) under uvicorn."""

from __future__ import annotations

import typer

from raqib.cli.output import info_line


def serve_command(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Processes answering requests."),
    access_log: bool = typer.Option(False, "--access-log", help="Log every request."),
) -> None:
    """Serve the API at http://HOST:PORT/api/v1 (OpenAPI at /api/docs)."""
    import uvicorn

    info_line(f"Raqib API on http://{host}:{port}/api/v1 (docs: http://{host}:{port}/api/docs)")
    uvicorn.run(
        "raqib.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=access_log,
        log_level="warning",
        proxy_headers=False,
    )
