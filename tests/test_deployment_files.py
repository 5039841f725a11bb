"""docker-compose.yml, the Dockerfile and deploy/prometheus.yml keep their promises.

Docker isn't available to the tests, so these read the files: exports on a shared
volume, worker metrics reaching Prometheus, no service stuck with the web's health
check, and an environment the settings accept.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from moderation.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
APP_SERVICES = ("migrate", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def services(compose: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = compose["services"]
    return result


def env(service: dict[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path -> source of each volume mount (short syntax)."""
    result = {}
    for entry in service.get("volumes") or []:
        source, target = entry.split(":")[:2]
        result[target] = source
    return result


def test_exports_live_on_a_named_volume_shared_by_web_replicas(compose: dict[str, Any]) -> None:
    web = services(compose)["web"]
    export_dir = env(web)["MODERATION_EXPORT_DIR"]
    assert export_dir.startswith("/")
    source = mounts(web).get(export_dir)
    assert source is not None, "the export folder must be a volume, or recreating web loses exports"
    assert source in (compose.get("volumes") or {}), "a named volume, not an anonymous one"


def test_the_image_prepares_the_export_folder_for_the_service_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"mkdir -p /app/var/exports", dockerfile)
    assert re.search(r"chown -R moderation /app/var", dockerfile)
    assert "USER moderation" in dockerfile


@pytest.mark.parametrize("name", ["web", "worker"])
def test_metric_processes_get_a_private_multiprocess_folder(compose: dict[str, Any], name: str) -> None:
    service = services(compose)[name]
    folder = env(service).get("PROMETHEUS_MULTIPROC_DIR")
    assert folder, f"{name}: without PROMETHEUS_MULTIPROC_DIR each process reports only its own samples"
    # a tmpfs of the container's own: exists before prometheus_client needs it, empty at start,
    # and never shared with another container (process ids would collide)
    assert folder in [entry.split(":")[0] for entry in service.get("tmpfs") or []]
    assert folder not in mounts(service)


def test_no_other_service_sets_a_multiprocess_folder_it_lacks(compose: dict[str, Any]) -> None:
    for name, service in services(compose).items():
        folder = env(service).get("PROMETHEUS_MULTIPROC_DIR")
        if folder:
            assert folder in [entry.split(":")[0] for entry in service.get("tmpfs") or []], name


def test_the_worker_serves_its_metrics_and_prometheus_scrapes_it(compose: dict[str, Any]) -> None:
    worker = services(compose)["worker"]
    command = worker["command"]
    assert command[command.index("-I") + 1] == "moderation.worker_metrics"
    port = env(worker)["MODERATION_WORKER_METRICS_PORT"]
    assert env(worker)["MODERATION_WORKER_METRICS_HOST"] == "0.0.0.0"
    assert port in [str(p) for p in worker.get("expose") or []]
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    targets = {(sd["names"][0], str(sd["port"])) for job in prometheus["scrape_configs"]
               for sd in job.get("dns_sd_configs", [])}
    assert ("worker", port) in targets
    assert ("web", "8000") in targets
    mounted = services(compose)["prometheus"]["volumes"][0].split(":")[0]
    assert (ROOT / mounted).resolve() == (ROOT / "deploy" / "prometheus.yml").resolve()


def test_only_the_web_runs_the_web_health_check(compose: dict[str, Any]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "HEALTHCHECK" in dockerfile and "8000/healthz" in dockerfile  # what the image carries
    for name in ("migrate", "beat"):
        assert services(compose)[name].get("healthcheck") == {"disable": True}, name
    assert "8000/readyz" in " ".join(services(compose)["web"]["healthcheck"]["test"])
    worker_check = " ".join(services(compose)["worker"]["healthcheck"]["test"])
    assert "inspect ping" in worker_check and "8000" not in worker_check


def test_every_app_service_runs_with_settings_the_app_accepts(
        compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in APP_SERVICES:
        values = env(services(compose)[name])
        for key, value in values.items():
            # ${VAR:?message} is the operator's to supply (a distinct private value each);
            # ${VAR:-default} takes its default
            value = re.sub(r"\$\{(\w+):\?[^}]*\}",
                           lambda m: f"operator-{m.group(1).lower()}-0123456789", value)
            value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
            assert "${" not in value, (name, key)
            monkeypatch.setenv(key, value)
        settings = load_settings()
        assert settings.env == "production"
        assert settings.proxy_hops == 0 and settings.metrics_token == ""
        for key in values:
            monkeypatch.delenv(key)


def test_the_web_serves_with_threads_so_a_waiting_request_holds_no_process() -> None:
    """``Prefer: wait`` holds its request while the verdict is made: with gunicorn's sync
    workers two waiting requests would stall the whole web container."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    command = next(line for line in dockerfile.splitlines() if line.startswith("CMD [\"gunicorn\""))
    assert '"--worker-class", "gthread"' in command and '"--threads"' in command
