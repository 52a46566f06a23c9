"""Run a matrix of independent jobs (profile instances, bench runs) locally or on Ray.

``run_matrix(items, work, model_factory, ...)`` calls ``work(item, model)`` for every item and
hands each result to ``on_done`` in the calling thread, as results arrive. Executors:

- ``local`` (default): one model from ``model_factory()`` shared by all jobs, run one at a time
  or on a thread pool of ``concurrency`` workers (model backends serialise where they must);
- ``process``: a pool of ``concurrency`` worker processes (fork), each job building its own
  model with ``model_factory()`` (so ``work``, ``items``, ``model_factory`` and the results must
  be picklable); for CPU-bound work such as compiling (``skvmc -j N``);
- ``ray``: one Ray task per item on a local or existing cluster (``ray_address``), each
  building its own model with ``model_factory()`` (models hold locks and are not picklable, so
  ``work``, ``items`` and ``model_factory`` must be), at most ``concurrency`` in flight.

Both give the same records; only the order of ``on_done`` calls may differ, so callers key
results by item, never by arrival.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed

EXECUTORS = ("local", "process", "ray")


def run_matrix(items: Iterable, work: Callable, model_factory: Callable[[], object], *,
               on_done: Callable[[dict], None], executor: str = "local",
               concurrency: int = 1, ray_address: str | None = None) -> None:
    items = list(items)
    if not items:
        return
    if executor == "local":
        _run_local(items, work, model_factory, concurrency, on_done)
    elif executor == "process":
        _run_process(items, work, model_factory, concurrency, on_done)
    elif executor == "ray":
        _run_ray(items, work, model_factory, concurrency, on_done, ray_address)
    else:
        raise ValueError(f"unknown executor {executor!r} (one of: {', '.join(EXECUTORS)})")


def _run_local(items, work, model_factory, concurrency, on_done):
    model = model_factory()
    if concurrency <= 1:
        for item in items:
            on_done(work(item, model))
        return
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for fut in as_completed([pool.submit(work, item, model) for item in items]):
            on_done(fut.result())


def _call(work, item, model_factory):
    return work(item, model_factory())


def _run_process(items, work, model_factory, concurrency, on_done):
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers start with the parent's imports (no re-import per worker); elsewhere the
    # platform default
    method = "fork" if sys.platform.startswith("linux") else None
    ctx = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=max(1, concurrency), mp_context=ctx) as pool:
        futures = [pool.submit(_call, work, item, model_factory) for item in items]
        for fut in as_completed(futures):
            on_done(fut.result())


def _run_ray(items, work, model_factory, concurrency, on_done, address):
    import ray  # optional extra: pip install 'skvmc[ray]'

    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False,
                 include_dashboard=False)

    @ray.remote
    def task(item, work_fn, factory):
        return work_fn(item, factory())

    pending, queue = [], list(items)
    limit = max(1, concurrency)
    while queue or pending:
        while queue and len(pending) < limit:
            pending.append(task.remote(queue.pop(0), work, model_factory))
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            on_done(ray.get(ref))
