"""Helper of bench/queue_vs_mlflow_client.sh, run with the MLflow virtualenv's python.

populate URI: 50 models x 20 versions, 5 pending per model (250), a champion
              alias per model, one run per version with 8 metrics.
queue URI:    the review queue as a script on the official MlflowClient would
              build it: one search for pending versions, then per version its
              run and (once per model) the champion and its run, and the metric
              diffs against the champion. Prints the queue as JSON on stdout and
              the time spent after `import mlflow` on stderr.
"""

import json
import sys
import time

MODELS = 50
VERSIONS = 20
PENDING = 5  # the last 5 versions of each model
CHAMPION = 10
METRICS = ["auc", "precision", "recall", "f1", "log_loss", "latency_p95_ms", "fpr", "drift"]
LOWER_IS_BETTER = ("loss", "error", "latency", "rmse", "mae", "mse", "mape", "fpr", "fnr", "cost")


def populate(uri):
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(uri)
    now = int(time.time() * 1000)
    for m in range(MODELS):
        name = f"bench-model-{m:02d}"
        client.create_registered_model(name, tags={"modelgate.risk": ["low", "medium", "high", "critical"][m % 4]})
        exp = client.create_experiment(f"bench-exp-{m:02d}")
        for v in range(1, VERSIONS + 1):
            run = client.create_run(exp, start_time=now - (VERSIONS - v) * 3_600_000, tags={"mlflow.user": "bench"})
            rid = run.info.run_id
            metrics = [
                Metric(k, 0.5 + ((m * 31 + v * 17 + i * 7) % 100) / 250.0, now, 0)
                for i, k in enumerate(METRICS)
            ]
            client.log_batch(rid, metrics=metrics)
            tags = {}
            if v > VERSIONS - PENDING:
                hours = (m * 7 + v * 3) % 90
                at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now / 1000 - hours * 3600))
                tags = {
                    "modelgate.review": "pending",
                    "modelgate.submitted_at": at,
                    "modelgate.submitted_by": "bench@example.com",
                }
            client.create_model_version(name, f"runs:/{rid}/model", run_id=rid, tags=tags)
        client.set_registered_model_alias(name, "champion", str(CHAMPION))


def direction(name):
    return "lower" if any(s in name for s in LOWER_IS_BETTER) else "higher"


def queue(uri):
    t0 = time.perf_counter()
    from mlflow import MlflowClient

    t1 = time.perf_counter()
    client = MlflowClient(uri)
    pending = []
    token = None
    while True:
        page = client.search_model_versions(
            "tags.`modelgate.review` = 'pending'", max_results=1000, page_token=token
        )
        pending.extend(page)
        token = page.token
        if not token:
            break
    champions = {}
    items = []
    for v in pending:
        if v.name not in champions:
            try:
                champ = client.get_model_version_by_alias(v.name, "champion")
                champions[v.name] = (champ.version, client.get_run(champ.run_id).data.metrics)
            except Exception:
                champions[v.name] = (None, {})
        base_version, base = champions[v.name]
        cand = client.get_run(v.run_id).data.metrics
        diffs = []
        for k in sorted(set(cand) | set(base)):
            c, b = cand.get(k), base.get(k)
            delta = None if c is None or b is None else c - b
            diffs.append({"name": k, "candidate": c, "baseline": b, "delta": delta, "better": direction(k)})
        items.append({
            "model": v.name,
            "version": v.version,
            "submitted_at": v.tags.get("modelgate.submitted_at"),
            "baseline": base_version,
            "metrics": diffs,
        })
    items.sort(key=lambda i: i["submitted_at"] or "")
    json.dump(items, sys.stdout)
    t2 = time.perf_counter()
    print(f"import {t1 - t0:.2f} s, queue {t2 - t1:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    {"populate": populate, "queue": queue}[sys.argv[1]](sys.argv[2])
