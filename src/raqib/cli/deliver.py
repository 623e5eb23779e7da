"""`raqib deliver`: the webhook delivery loop on its own (`raqib serve` also runs it, in a
thread). Several may run at once, on one machine or many: each row is leased to one of them."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from raqib.cli.context import AppContext
from raqib.cli.output import info_line
from raqib.review.delivery import Deliverer, DeliveryRound
from raqib.store.models import utcnow


def deliver_command(
    once: bool = typer.Option(False, "--once", help="Send what is due now, then exit."),
) -> None:
    """Send due webhook actions (decisions) until SIGTERM or Ctrl-C."""
    context = AppContext.from_env()
    if not context.settings.webhook_secret:
        info_line("raqib: warning: RAQIB_WEBHOOK_SECRET is empty; receivers cannot verify requests")
    with Deliverer(context.database, context.settings) as deliverer:
        if once:
            _print_round(deliverer.run_once())
            return
        stop = threading.Event()
        _stop_on_signals(stop)
        info_line("raqib: delivering webhook actions; stop with SIGTERM or Ctrl-C")
        deliverer.run(stop, on_round=_print_round)
    info_line("raqib: delivery stopped")


def _stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT end the loop after the request in flight (if any) is recorded."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def _print_round(done: DeliveryRound) -> None:
    at = utcnow().isoformat(timespec="seconds")
    typer.echo(f"{at} delivered={done.delivered} retried={done.retried} failed={done.failed}")
