"""How fast the app starts and answers: in-process timings, then a local server's start-up and a bounded load test.

    python benchmarks/app_latency.py                        # 16 clients for 20 s
    python benchmarks/app_latency.py --clients 4 --duration 5 --repeats 10
    python benchmarks/app_latency.py --floor                # also a Gradio app that does nothing
    python benchmarks/app_latency.py --lab ../shared/data   # also with a Lab run training beside it

Uses the bundled models in pretrained/ when there are any, else random-weight DCGANs (full width)
written to a temporary folder. The server is `python app.py` on a free loopback port, stopped at the end.
Prints Markdown tables.
"""

import argparse
import functools
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Callable, NamedTuple

ROOT = Path(__file__).resolve().parent.parent


# The floor: the same endpoint, queue and concurrency as the app, and no work. It also inherits the
# Gradio settings the app puts in the environment, since the benchmark imports the app first.
NOOP_APP = """
import gradio as gr

with gr.Blocks() as demo:
    model, seed, n, out = gr.Textbox(), gr.Number(), gr.Number(), gr.Textbox()
    gr.Button().click(lambda model, seed, n: "", [model, seed, n], out, api_name=ENDPOINT)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64, status_update_rate=STATUS_UPDATE_S)
demo.launch()
"""


def random_models(folder: Path) -> Path:
    """Random-weight unconditional and conditional DCGANs, for when no trained model is bundled."""
    import gan_models

    gan_models.save_generator(gan_models.create_model("dcgan").generator, folder / "dcgan")
    gan_models.save_generator(gan_models.create_model("dcgan", num_classes=10).generator, folder / "cdcgan")
    return folder


def median_ms(fn: Callable[[int], object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of `fn(i)` for i in range(repeats), after a warm-up call.

    On a busy machine wall time includes waiting for a core; CPU time is the work itself."""
    fn(repeats)
    wall, cpu = [], []
    for i in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn(i)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * statistics.median(wall), 1000 * statistics.median(cpu)


def in_process(model: str, repeats: int) -> list[tuple[str, float, float]]:
    """Median times of the app's plain functions, called directly, each call with a new seed."""
    sys.path.insert(0, str(ROOT))
    import gan_models
    import torch
    from playground import generate, interpolate, models

    generator = models.load_model(model)[1]

    with torch.inference_mode():
        model_only = median_ms(lambda i: gan_models.generate(generator, 64, i), repeats)
    return [
        (f"model only: gan_models.generate, 64 digits ({model})", *model_only),
        (f"app.generate: 64-digit grid PNG file ({model})", *median_ms(lambda i: generate.generate(model, i, 64), repeats)),
        (f"app.digits: 64 gallery PNG files ({model})", *median_ms(lambda i: generate.digits(model, i, 64), repeats)),
        (f"app.interpolate: 32 frames, strip PNG + GIF ({model})",
         *median_ms(lambda i: interpolate.interpolate(model, i, i + 1, 32, "slerp"), repeats)),
    ]


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(script: Path, env: dict, port: int, log: Path) -> subprocess.Popen:
    """`python script` (a Gradio app) on 127.0.0.1:`port`, once it answers HTTP."""
    env = {**env, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env=env, stdout=log.open("w"),
                              stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app exited with code {server.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(f"the app did not answer within 120 s:\n{log.read_text()}")


def cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by process `pid` (Linux /proc), or None where that cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class LoadResult(NamedTuple):
    latencies: list[float]  # seconds, one per request that came back
    errors: int
    server_cpu: float | None  # CPU seconds of the server meanwhile (None if unknown)
    client_cpu: float  # CPU seconds of the clients: on a small machine they share the server's cores
    wall: float  # seconds until the last request came back
    startup: float | None = None  # seconds from starting the server until its page answered


def load_test(url: str, server_pid: int, model: str, clients: int, duration: float, n: int,
              endpoint: str = "/generate") -> LoadResult:
    """`clients` gradio_client clients calling `endpoint` back to back for `duration` seconds."""
    from gradio_client import Client

    latencies, errors, lock = [], [], threading.Lock()
    # Files stay on the server: this measures the API call, not the client's downloads. gradio_client
    # opens a new HTTP client for every request, and each would load the CA bundle into a new SSL
    # context (20–30 ms of CPU here, on the cores the server needs); real clients pay that on their
    # own machines, so here they share one context, with the same certificate checks.
    tls = ssl.create_default_context()
    pool = [Client(url, verbose=False, download_files=False, analytics_enabled=False, ssl_verify=tls)
            for _ in range(clients)]
    for client in pool:  # warm-up: model load and connection set-up are not what is measured
        client.predict(model=model, seed=0, n=n, api_name=endpoint)
    start = threading.Barrier(clients)

    def run(index: int, client: Client) -> None:
        start.wait()
        deadline, seed = time.monotonic() + duration, index * 1_000_000
        while time.monotonic() < deadline:
            seed += 1
            began = time.perf_counter()
            try:
                client.submit(model=model, seed=seed, n=n, api_name=endpoint).result(timeout=60)
                with lock:
                    latencies.append(time.perf_counter() - began)
            except Exception as err:  # any failure counts: the table reports them
                with lock:
                    errors.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(pool)]
    cpu_before, client_cpu, began = cpu_seconds(server_pid), time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began  # past `duration`: the requests under way at the deadline finish
    cpu_after, client_cpu = cpu_seconds(server_pid), time.process_time() - client_cpu
    for message in sorted(set(errors))[:5]:
        print(f"error: {message}", file=sys.stderr)
    server_cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return LoadResult(latencies, len(errors), server_cpu, client_cpu, wall)


def start_lab(url: str, seconds: float):
    """A Lab run of the page's defaults training on the server, once its first update has come back."""
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    job = client.submit(arch="dcgan", seconds=seconds, api_name="/lab")
    deadline = time.monotonic() + 120
    while not job.outputs() and time.monotonic() < deadline:
        time.sleep(0.2)
    if not job.outputs():
        raise RuntimeError(f"the Lab run sent no update within 120 s: {job.status()}")
    return job


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile of `values` (nearest rank), NaN when there are none."""
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    """Print the in-process and load-test tables; exit with 1 if any request failed."""
    from training.flags import script_parser

    p = script_parser("python benchmarks/app_latency.py", __doc__)
    p.add_argument("--clients", type=int, default=16, help="concurrent gradio_client clients in the load test")
    p.add_argument("--duration", type=float, default=20, help="seconds the load test runs")
    p.add_argument("--n", type=int, default=16, help="digits per request in the load test")
    p.add_argument("--endpoint", default="/generate", choices=["/generate", "/digits"],
                   help="/generate: the grid (the page cuts its gallery from it); /digits: a file per digit, for API callers")
    p.add_argument("--repeats", type=int, default=30, help="repeats behind each in-process median")
    p.add_argument("--model", default=None, help="model name (default: the app's default model)")
    p.add_argument("--floor", action="store_true",
                   help="also load-test a Gradio app that does nothing: what Gradio and the clients cost")
    p.add_argument("--lab", metavar="DATA_DIR", default=None,
                   help="also load-test the app while one Lab run trains on MNIST from DATA_DIR")
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="digitgan-bench-") as tmp:
        models = Path(os.environ.get("DIGITGAN_PRETRAINED_DIR", ROOT / "pretrained"))
        if not any(models.glob("*/config.json")):
            print(f"no bundled models in {models}: using random-weight DCGANs\n")
            models = random_models(Path(tmp) / "models")
        # The app reads these on every call, here and in the server; its image files go with tmp.
        os.environ.update(DIGITGAN_PRETRAINED_DIR=str(models), GRADIO_TEMP_DIR=str(Path(tmp) / "gradio"))
        names = sorted(p.parent.name for p in models.glob("*/config.json"))
        model = args.model or ("dcgan" if "dcgan" in names else names[0])
        load = f"load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "load unknown"
        print(f"{os.cpu_count()} CPUs, {load} at start\n")
        import torch

        print(f"| in-process (median of {args.repeats}; {torch.get_num_threads()} torch threads, the server "
              f"uses 1 per request) | wall ms | CPU ms |\n|---|---|---|")
        for label, wall, cpu in in_process(model, args.repeats):
            print(f"| {label} | {wall:.1f} | {cpu:.1f} |")

        load = functools.partial(serve_and_load, tmp=Path(tmp), model=model, args=args)
        results = [(f"`python app.py`, {args.endpoint}, n={args.n}", load(ROOT / "app.py"))]
        if args.lab:
            results.append(("the same, a Lab run training beside it", load(ROOT / "app.py", lab=args.lab)))
        if args.floor:
            noop = Path(tmp) / "noop_app.py"
            concurrency, status_update_s = app_queue_settings()
            noop.write_text(NOOP_APP.replace("CONCURRENCY", str(concurrency))
                            .replace("STATUS_UPDATE_S", str(status_update_s))
                            .replace("ENDPOINT", repr(args.endpoint.strip("/"))))
            results.append(("a Gradio app whose function does nothing", load(noop)))
    print(f"\n| load test: {args.clients} clients, {args.duration:g} s | " + " | ".join(name for name, _ in results) +
          " |\n|---|" + "---|" * len(results))
    rows = {"start-up, until the page answers": lambda r, ms: f"{r.startup:.1f} s",
            "requests": lambda r, ms: f"{len(ms)}", "throughput": lambda r, ms: f"{len(ms) / r.wall:.1f} req/s",
            "p50 latency": lambda r, ms: f"{percentile(ms, 0.5):.0f} ms",
            "p95 latency": lambda r, ms: f"{percentile(ms, 0.95):.0f} ms", "errors": lambda r, ms: f"{r.errors}",
            "server CPU per request":
                lambda r, ms: f"{1000 * r.server_cpu / len(ms):.1f} ms" if r.server_cpu and ms else "?",
            "client CPU per request": lambda r, ms: f"{1000 * r.client_cpu / len(ms):.1f} ms" if ms else "?"}
    for name, cell in rows.items():
        print(f"| {name} | " + " | ".join(cell(r, [1000 * x for x in r.latencies]) for _, r in results) + " |")
    return 1 if any(r.errors for _, r in results) else 0


def app_queue_settings() -> tuple[int, float]:
    sys.path.insert(0, str(ROOT))
    import app

    return app.CONCURRENCY, app.STATUS_UPDATE_S


def serve_and_load(script: Path, tmp: Path, model: str, args: argparse.Namespace,
                   lab: str | None = None) -> LoadResult:
    """Start `script` as a server, run the load test against it (beside a Lab run training on MNIST
    from the folder `lab`, if given), stop it; the load test's results."""
    port, began = free_port(), time.perf_counter()
    env = {**os.environ, **({"DIGITGAN_DATA_DIR": str(Path(lab).resolve())} if lab else {})}
    server = start_server(script, env, port, tmp / f"{script.stem}.log")
    startup = time.perf_counter() - began
    url = f"http://127.0.0.1:{port}/"
    try:
        training = start_lab(url, args.duration + 60) if lab else None
        result = load_test(url, server.pid, model, args.clients, args.duration, args.n, args.endpoint)
        if training is not None:
            training.cancel()
        return result._replace(startup=startup)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

if __name__ == "__main__":
    sys.exit(main())
