"""A Lab run: one Trainer, or two in lockstep, training on a thread of their own while the page reads
snapshots of them. Knows nothing of Gradio; playground/lab.py puts it on the page."""

import contextlib
import functools
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

TOY_DATASETS = ("ring", "grid", "drawn")
UPDATE_S = 0.8  # a snapshot at least this often: the page promises an update every second
METER_N = 200  # fixed samples the mode-collapse meter reads
EVERY_STEP_UNTIL = 200  # the first steps are all kept (the vanishing gradient shows there), then one in
KEEP_EVERY = 5  # ... five: reading G's gradient norm costs about a tenth of an MLP step


def lab_seconds() -> float:
    """The longest a Lab run may train, in seconds ($DIGITGAN_LAB_SECONDS, default 180)."""
    return float(os.environ.get("DIGITGAN_LAB_SECONDS", 180))


def lab_runs() -> int:
    """How many Lab runs train at once on this server ($DIGITGAN_LAB_RUNS; default 1 on 2 cores or fewer)."""
    cores = os.cpu_count() or 1
    return int(os.environ.get("DIGITGAN_LAB_RUNS", 1 if cores <= 2 else max(1, cores // 4)))


_active, _threads_before, _threads_lock = 0, 1, threading.Lock()


@functools.cache
def _reader() -> ThreadPoolExecutor:
    """The one thread that reads every run's meter, on one torch thread: a second thread pool beside
    the training thread's slowed training by half on 2 cores (docs/performance.md)."""
    return ThreadPoolExecutor(1, thread_name_prefix="lab-meter", initializer=torch.set_num_threads, initargs=(1,))


def training_threads() -> int:
    """Torch threads for a Lab run's thread: the cores shared out among the runs a server allows."""
    cores = os.cpu_count() or 1
    return max(1, cores // lab_runs())


@contextlib.contextmanager
def _cores_for_training():
    """The server answers each request on one thread; while Lab runs train, torch's threads are
    training_threads() (a process-wide setting, put back after the last run)."""
    global _active, _threads_before
    with _threads_lock:
        if _active == 0:
            _threads_before = torch.get_num_threads()
            torch.set_num_threads(training_threads())
        _active += 1
    try:
        yield
    finally:
        with _threads_lock:
            _active -= 1
            if _active == 0:
                torch.set_num_threads(_threads_before)


@dataclass
class Snapshot:
    """What the page shows of a run at one moment."""
    version: int
    steps: list[int]
    pictures: list[np.ndarray]  # per run: its sample grid, or its points over D's map (uint8 images)
    history: list[list[dict]]  # per run: the kept steps' numbers
    meters: list[list[dict]]  # per run: the meter's readings so far (digit shares, or Gaussians covered)
    seconds: float
    images_per_s: float
    done: bool
    why: str = ""


@dataclass
class LabRun:
    """Trainers built from `settings` (one dict each, TrainConfig names), stepped in lockstep."""
    settings: list[dict]
    points: np.ndarray | None = None  # a drawing's points for the "drawn" dataset
    trainers: list = field(default_factory=list)
    history: list = field(default_factory=list)
    meters: list = field(default_factory=list)

    def __post_init__(self):
        from . import lab_view  # training and its classifier come in with the first run, not with the page

        self.view = lab_view
        self.trainers = [lab_view.build_trainer(s, self.points) for s in self.settings]
        self.history, self.meters = [[] for _ in self.trainers], [[] for _ in self.trainers]
        self.trained_s, self.version, self.snapshot, self._reading = 0.0, 0, None, None
        self._stop, self._changed = threading.Event(), threading.Condition()
        self.thread: threading.Thread | None = None

    @property
    def toy(self) -> bool:
        return self.settings[0].get("dataset") in TOY_DATASETS

    def start(self, seconds: float) -> None:
        """Train for `seconds` more on a thread of its own (a stopped run continues where it stopped)."""
        self._stop.clear()
        self.snapshot = None
        self.thread = threading.Thread(target=self._train, args=(seconds,), daemon=True, name="lab-run")
        self.thread.start()

    def stop(self) -> None:
        """Ask the training thread to stop after its current step, and wait for it."""
        self._stop.set()
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join(timeout=30)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def _train(self, seconds: float) -> None:
        with _cores_for_training():
            self._train_for(seconds)

    def _train_for(self, seconds: float) -> None:
        start, last, images, why = time.monotonic(), -math.inf, 0, "time's up"
        batch = sum(t.data.batch_size * t.cfg.d_steps for t in self.trainers)
        try:
            while time.monotonic() - start < seconds:
                if self._stop.is_set():
                    why = "stopped"
                    break
                self._step()
                images += batch
                if time.monotonic() - last >= UPDATE_S:
                    last = time.monotonic()
                    self._publish(self.trained_s + last - start, images / max(last - start, 1e-9), False)
        except Exception as err:  # noqa: BLE001 (a diverged or failed run ends with a sentence on the page)
            why = f"training stopped: {' '.join(str(err).split())[:300]}"
        now = time.monotonic()
        self.trained_s += now - start
        self._publish(self.trained_s, images / max(now - start, 1e-9), True, why)

    def _step(self) -> None:
        for trainer, history in zip(self.trainers, self.history):
            keep = trainer.step_count < EVERY_STEP_UNTIL or trainer.step_count % KEEP_EVERY == 0
            if keep:
                history.append({"step": trainer.step_count + 1, **trainer.step()})
            else:
                trainer.train_step()  # its numbers unread: reading them would wait for them

    def _publish(self, seconds: float, images_per_s: float, done: bool, why: str = "") -> None:
        seen = [self.view.look(trainer, self.toy, METER_N) for trainer in self.trainers]
        self._read_meters([s for _, s in seen], wait=done or not self.meters[0])  # the first update has one too
        with self._changed:
            self.version += 1
            self.snapshot = Snapshot(self.version, [t.step_count for t in self.trainers], [p for p, _ in seen],
                                     [list(h) for h in self.history], [list(m) for m in self.meters], seconds,
                                     images_per_s, done, why)
            self._changed.notify_all()

    def _read_meters(self, inputs: list, wait: bool) -> None:
        """Hand the meter's samples to the reader thread, so that the classifier's ~0.1 s runs on another
        core than the training; a reading joins the meters once done, or at once when `wait`."""
        if self._reading is not None and (wait or self._reading.done()):
            self._keep(self._reading.result())
        if self._reading is None:
            steps = [t.step_count for t in self.trainers]
            self._reading = _reader().submit(lambda: [{"step": s, **self.view.reading(x)}
                                                      for s, x in zip(steps, inputs)])
            if wait:
                self._keep(self._reading.result())

    def _keep(self, readings: list[dict]) -> None:
        for meters, reading in zip(self.meters, readings):
            meters.append(reading)
        self._reading = None

    def wait(self, after: int, timeout: float = 2.0) -> Snapshot | None:
        """The newest snapshot once it is newer than version `after` (None if none came within `timeout`)."""
        with self._changed:
            self._changed.wait_for(lambda: self.snapshot is not None and self.snapshot.version > after, timeout)
            snapshot = self.snapshot
        return snapshot if snapshot is not None and snapshot.version > after else None
