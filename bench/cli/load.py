"""``python -m bench load``: requests/s, tokens/s, latency percentiles and capacity per load level."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bench.cli.output import DB_HELP, fail, flag_errors, on_off
from bench.errors import BenchError
from bench.units import fmt_number, fmt_seconds

console = Console(stderr=True)
out = Console()


def load(
    endpoint: Annotated[str, typer.Option(help="OpenAI-compatible base URL, e.g. http://127.0.0.1:5273/v1.")],
    models: Annotated[str, typer.Option(help="Comma list of model ids the server serves.")],
    prompts: Annotated[
        str, typer.Option(help="Prompt file or built-in set (requests cycle through it).")
    ] = "workshop",
    concurrency: Annotated[
        str | None, typer.Option(help="Closed loop: requests in flight per level, e.g. 1,2,4,8,16.")
    ] = None,
    rate: Annotated[
        str | None, typer.Option(help="Open loop: Poisson arrivals per second per level, e.g. 2,4,8.")
    ] = None,
    duration: Annotated[str | None, typer.Option(help="Time per level, e.g. 60s or 2m.")] = None,
    requests: Annotated[int | None, typer.Option(help="Requests per level (instead of --duration).")] = None,
    slo: Annotated[
        str | None,
        typer.Option(help="Targets, e.g. ttft_p95=0.5s,itl_p95=50ms,e2e_p95=5s (capacity needs them)."),
    ] = None,
    max_error_rate: Annotated[
        float, typer.Option(help="Errors a level may have and still meet the SLOs.")
    ] = 0.01,
    max_tokens: Annotated[int, typer.Option(help="Max output tokens per request.")] = 128,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Sampling seed and Poisson arrival seed.")] = 42,
    warmup: Annotated[int, typer.Option(help="Warm-up requests per model (stored, excluded).")] = 1,
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Run every level even after the server saturates.")
    ] = False,
    api_key_env: Annotated[str | None, typer.Option(help="Env var holding the endpoint's API key.")] = None,
    prompt_cache: Annotated[
        str, typer.Option(help="on | off: off asks the server not to reuse its prompt cache (llama.cpp).")
    ] = "on",
    label: Annotated[str, typer.Option(help="A note stored with the run.")] = "",
    db: Annotated[str | None, typer.Option(help=DB_HELP)] = None,
) -> None:
    """Measure a server under rising load; stop once it saturates; report the capacity within the SLOs."""
    from bench.inputs import config
    from bench.load.engine import parse_levels, parse_seconds
    from bench.load.levels import parse_slos
    from bench.load.run import LoadSpec, run_load
    from bench.store.store import Store

    try:
        if (concurrency is None) == (rate is None):
            raise BenchError(
                "--concurrency/--rate", "give exactly one", "e.g. --concurrency 1,2,4,8 or --rate 2,4,8"
            )
        kind = "concurrency" if concurrency else "rate"
        cache_on = on_off("--prompt-cache", prompt_cache)
        levels = parse_levels(concurrency or rate or "", kind)
        if duration is None and requests is None:
            requests = 20
        try:
            spec = LoadSpec(
                endpoint=endpoint,
                models=[m.strip() for m in models.split(",") if m.strip()],
                kind=kind,
                levels=[lv.value for lv in levels],
                duration_s=parse_seconds(duration, "--duration") if duration else None,
                requests=requests if duration is None else None,
                slos=parse_slos(slo),
                max_error_rate=max_error_rate,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                warmup=warmup,
                api_key_env=api_key_env,
                prompt_cache=cache_on,
                label=label,
                stop_at_saturation=not keep_going,
            )
        except ValidationError as exc:
            flags = {"slos": "--slo", "levels": "--concurrency/--rate", "duration_s": "--duration"}
            raise BenchError(
                "command line", flag_errors(exc, flags), "see `python -m bench load --help`"
            ) from None
        prompt_set = config.resolve_prompt_set(prompts)
        _check_endpoint(spec.endpoint, spec.models, api_key_env)
        store = Store(db)
        result = run_load(store, spec, prompt_set, progress=lambda line: console.print(line, highlight=False))
        _print(result)
        out.print(result["run_id"])
        from bench.cli.keep import keep_for_the_app

        keep_for_the_app(store, [result["run_id"]], console)
    except BenchError as exc:
        fail(exc)


def _check_endpoint(endpoint: str, models: list[str], api_key_env: str | None) -> None:
    """Fail before the first level when the server is down or does not serve a model."""
    from bench.backends import backend_for
    from bench.backends.keys import flag_key

    served = backend_for(endpoint, flag_key(api_key_env, endpoint)).model_ids(refresh=True)
    unknown = [m for m in models if m not in served]
    if unknown:
        raise BenchError(
            ", ".join(unknown), f"not served by {endpoint}", f"served models: {', '.join(served) or 'none'}"
        )


def _print(result: dict) -> None:
    for model, res in result["models"].items():
        table = Table("level", "req/s", "out tok/s", "ttft p95", "itl p95", "e2e p95", "errors", "goodput/s",
                      "lag p99", "SLOs", title=model)  # fmt: skip
        for lv in res["levels"]:
            p = lv["percentiles"]
            table.add_row(
                lv["level"] + (" (saturated)" if lv["saturated"] else ""),
                fmt_number(float(lv["requests_per_s"]), 1),
                fmt_number(float(lv["output_tokens_per_s"]), 0),
                fmt_seconds(p["ttft"]["p95"]),
                fmt_seconds(p["itl"]["p95"]),
                fmt_seconds(p["e2e"]["p95"]),
                f"{lv['error_rate']:.1%} of {lv['requests']}",
                fmt_number(lv["goodput_per_s"], 1),
                fmt_seconds(None if lv["lag_ms"]["p99"] is None else lv["lag_ms"]["p99"] / 1000),
                {None: "no SLO", True: "met", False: "missed"}[lv["meets_slo"]],
            )
        out.print(table)
        cap = res["capacity"]
        where = cap.get("level") or "none"
        out.print(f"capacity of {model}: {where} ({cap['reason']})", highlight=False)
