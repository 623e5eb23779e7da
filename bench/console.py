"""The review console's pages under load: server time per page while several reviewers work.

    .venv/bin/python bench/console.py [--cases 300] [--clients 8] [--seconds 10]

Starts `raqib serve` on a scratch home, seeds a bank and --cases open cases through the API (text
items that match the bank, half of them Arabic, some with marked indicator spans), signs in
--clients reviewers through the sign-in form, and has each fetch pages in a loop for --seconds:
the home page, a case page (which also records an exposure), a queue list, and, as the baseline
measured in the same run, GET /healthz. Prints requests/s and the server's own time per page
(the `Server-Timing` header) at p50 and p99, and each page's p50 as a multiple of the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

RAQIB = Path(sys.executable).with_name("raqib")
PASSWORD = "bench-password-0123"
TEXTS = (
    "synthetic bench item {n}: a neutral placeholder sentence about the weather report",
    "نص تجريبي رقم {n}: جملة محايدة عن نشرة الطقس في المدينة",
)


def main() -> None:
    args = _arguments()
    with tempfile.TemporaryDirectory(prefix="raqib-bench-console-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAQIB_")}
        env |= {"RAQIB_HOME": home, "RAQIB_RATE_LIMIT": "0"}
        keys = {
            role: _cli(env, "key", "create", "--role", role) for role in ("curator", "submitter")
        }
        for n in range(args.clients):
            _cli(
                env,
                "user",
                "add",
                f"rev{n}",
                "--role",
                "reviewer",
                "--password-stdin",
                stdin=PASSWORD,
            )
        port = _free_port()
        server = subprocess.Popen(
            [str(RAQIB), "serve", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            case_ids = _seed(base, keys, args.cases)
            print(
                f"{len(case_ids)} open cases; {args.clients} reviewers; {args.seconds} s per page"
            )
            cookies = [_sign_in(base, f"rev{n}") for n in range(args.clients)]
            pages = {
                "GET /healthz (baseline)": lambda i: "/healthz",
                "home /ui/": lambda i: "/ui/",
                "case page /ui/cases/{id}": lambda i: f"/ui/cases/{case_ids[i % len(case_ids)]}",
                "queue list /ui/queues/default": lambda i: "/ui/queues/default",
            }
            baseline = None
            for name, path in pages.items():
                rate, p50, p99 = _load(base, cookies, path, args.seconds)
                baseline = baseline or p50
                print(
                    f"  {name:<32} {rate:8,.0f} req/s   server p50 {p50:6.2f} ms  "
                    f"p99 {p99:6.2f} ms   p50 x{p50 / baseline:.1f} baseline"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    return parser.parse_args()


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(RAQIB), *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("raqib serve did not start")


def _seed(base: str, keys: dict[str, str], cases: int) -> list[int]:
    texts = [TEXTS[n % 2].format(n=n) for n in range(cases)]
    lines = "".join(f"raw_text {text}\n" for text in texts).encode("utf-8")
    curator = {"Authorization": f"Bearer {keys['curator']}"}
    httpx.post(f"{base}/api/v1/banks", json={"name": "bench"}, headers=curator).raise_for_status()
    httpx.post(f"{base}/api/v1/banks/bench/import", content=lines, headers=curator, timeout=120)
    submitter = {"Authorization": f"Bearer {keys['submitter']}"}
    ids = []
    with httpx.Client(base_url=base, headers=submitter, timeout=60) as client:
        for n, text in enumerate(texts):
            item = {
                "text": text,
                "platform": "bench",
                "external_id": str(n),
                "author_id": f"a{n % 40}",
            }
            case_id = client.post("/api/v1/items", json=item).json()["case_id"]
            if case_id is not None:
                ids.append(int(case_id))
    return ids


def _sign_in(base: str, name: str) -> str:
    with httpx.Client(base_url=base) as client:
        page = client.get("/ui/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text)
        assert token is not None
        form = {
            "username": name,
            "password": PASSWORD,
            "login_token": token.group(1),
            "next": "/ui/",
        }
        cookie = f"raqib_login_csrf={page.cookies['raqib_login_csrf']}"
        answer = client.post("/ui/login", data=form, headers={"Cookie": cookie})
        return str(answer.cookies["raqib_session"])


def _load(
    base: str, cookies: list[str], path: object, seconds: float
) -> tuple[float, float, float]:
    def worker(index: int) -> list[float]:
        timings: list[float] = []
        headers = {"Cookie": f"raqib_session={cookies[index]}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            end, n = time.monotonic() + seconds, index
            while time.monotonic() < end:
                answer = client.get(path(n))  # type: ignore[operator]
                answer.raise_for_status()
                timing = re.search(r"dur=([0-9.]+)", answer.headers.get("server-timing", ""))
                timings.append(float(timing.group(1)) if timing else 0.0)
                n += len(cookies)
        return timings

    with ThreadPoolExecutor(len(cookies)) as pool:
        results = [t for part in pool.map(worker, range(len(cookies))) for t in part]
    results.sort()
    p99 = results[min(len(results) - 1, int(len(results) * 0.99))]
    return len(results) / seconds, statistics.median(results), p99


if __name__ == "__main__":
    main()
