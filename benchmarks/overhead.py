"""What does the transport cost, and what does SLM Bench itself cost?

1. **In-process vs HTTP** on the default model (SmolLM2-135M): the same streaming request through
   Foundry Local in this process (``FoundryBackend``) and through Foundry Local's own web service in
   a child process (``python -m bench serve``, read with ``OpenAIBackend``). Decode tokens/s and
   TTFT, median of N after W warm-ups, rounds interleaved so drift hits both alike.
2. **The harness's own cost per token** on the tiny random model, where inference costs almost
   nothing: a bare loop over the SDK's stream (and over the raw SSE lines) against SLM Bench's
   event pipeline (timestamped events, then ``summarize``). The difference per token is what our
   pipeline adds inside the timed window.

    .venv/bin/python benchmarks/overhead.py                      # print the table
    .venv/bin/python benchmarks/overhead.py --write benchmarks/overhead.md

Run it on an idle machine (a compile beside it changes every number). The loops of part 2 (and the
bare SDK loop part 1 compares against) live in ``benchmarks/overhead_loops.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from overhead_loops import fmt, harness_overhead, median, raw_sdk_loop  # noqa: E402 (benchmarks/, beside this script)

from bench.acquire import foundry_service  # noqa: E402
from bench.backends.base import ChatRequest, now_ns  # noqa: E402
from bench.backends.foundry import FoundryBackend  # noqa: E402
from bench.backends.openai_compat import OpenAIBackend  # noqa: E402
from bench.measure import provenance, sysmon  # noqa: E402
from bench.measure.request_metrics import RequestMetrics, summarize  # noqa: E402

PROMPT = "Write a long, detailed story about a lighthouse keeper who finds a message in a bottle."


# --------------------------------------------------------------------------- part 1


def measured(backend: Any, request: ChatRequest) -> tuple[RequestMetrics, str]:
    t_send = now_ns()
    events = list(backend.stream_chat(request))
    text = "".join(e.text for e in events if e.kind == "content")
    return summarize(events, t_send), text


def transport_comparison(
    inproc: FoundryBackend, http: OpenAIBackend, inproc_name: str, http_id: str, args: argparse.Namespace
) -> dict[str, Any]:
    req_in = ChatRequest(inproc_name, PROMPT, max_tokens=args.max_tokens)
    req_http = ChatRequest(http_id, PROMPT, max_tokens=args.max_tokens)
    model = inproc.resolve(inproc_name)

    def bare() -> tuple[RequestMetrics, str]:
        first, last, _n, items, done = raw_sdk_loop(model, args.max_tokens, PROMPT)
        tokens = done.usage.completion_tokens
        m = RequestMetrics(
            ttft_s=(first - done.t_send) / 1e9,
            e2e_s=(done.t_end - done.t_send) / 1e9,
            decode_tps=(tokens - 1) / ((done.t_end - first) / 1e9),
            itl_s=(last - first) / 1e9 / (tokens - 1),
            output_tokens=tokens,
            output_token_source="usage",
        )
        return m, "".join(getattr(i, "text", "") for i in items)

    calls = {
        "in-process": lambda: measured(inproc, req_in),
        "http": lambda: measured(http, req_http),
        "bare SDK": bare,
    }
    for _ in range(args.warmup):
        for call in calls.values():
            call()
    runs: dict[str, list[RequestMetrics]] = {label: [] for label in calls}
    texts: dict[str, set[str]] = {label: set() for label in calls}
    for i in range(args.rounds):
        for label, call in calls.items():
            m, text = call()
            runs[label].append(m)
            texts[label].add(text)
            print(
                f"  round {i + 1} {label:10s} decode {m.decode_tps:7.1f} tok/s  ttft {m.ttft_s * 1e3:6.1f} ms"
                f"  tokens {m.output_tokens}",
                flush=True,
            )
    out: dict[str, Any] = {}
    for label, ms in runs.items():
        out[label] = {
            "rounds": [
                {
                    "decode_tps": m.decode_tps,
                    "ttft_ms": m.ttft_s * 1e3 if m.ttft_s else None,
                    "e2e_s": m.e2e_s,
                }
                for m in ms
            ],
            "decode_tps": median([m.decode_tps for m in ms]),
            "ttft_ms": median([m.ttft_s * 1e3 if m.ttft_s else None for m in ms]),
            "e2e_s": median([m.e2e_s for m in ms]),
            "itl_ms": median([m.itl_s * 1e3 if m.itl_s else None for m in ms]),
            "output_tokens": median([m.output_tokens for m in ms]),
            "token_source": sorted({m.output_token_source for m in ms}),
        }
    out["same_answer"] = len(texts["in-process"] | texts["http"] | texts["bare SDK"]) == 1
    return out


# --------------------------------------------------------------------------- report


def pct(a: float | None, b: float | None) -> str:
    if a is None or b is None or a == 0:
        return "n/a"
    return f"{(b - a) / a * 100:+.0f}%"


def spread(column: dict[str, Any], key: str) -> str:
    values = [r[key] for r in column.get("rounds", []) if r.get(key) is not None]
    return f"{min(values):.1f}–{max(values):.1f}" if values else "n/a"


def overlap(a: dict[str, Any], b: dict[str, Any], key: str) -> str:
    va = [r[key] for r in a.get("rounds", []) if r.get(key) is not None]
    vb = [r[key] for r in b.get("rounds", []) if r.get(key) is not None]
    if not va or not vb:
        return "were not compared"
    return "overlap" if max(va) >= min(vb) and max(vb) >= min(va) else "do not overlap"


def markdown(result: dict[str, Any]) -> str:
    t, h, meta = result["transport"], result["harness"], result["meta"]
    ip, hp, bp = t["in-process"], t["http"], t["bare SDK"]
    hw = meta["hardware"]
    lines = [
        "# In-process vs HTTP, and the harness's own overhead",
        "",
        f"Measured {meta['date']} with `benchmarks/overhead.py` (commit `{meta['git_commit'][:12]}`).",
        "",
        f"## {meta['default_model']}: Foundry Local in-process vs its web service",
        "",
        f"Streaming, greedy (temperature 0, seed 42), max_tokens {meta['max_tokens']}, one fixed prompt; "
        f"median of {meta['rounds']} after {meta['warmup']} warm-ups per column, rounds interleaved. "
        "HTTP = `python -m bench serve` in a child process on 127.0.0.1, read by `OpenAIBackend`.",
        "",
        "| metric | in-process (SLM Bench) | HTTP (SLM Bench) | HTTP vs in-process | in-process, bare SDK loop |",
        "|---|---:|---:|---:|---:|",
        f"| decode tokens/s | {fmt(ip['decode_tps'])} | {fmt(hp['decode_tps'])} | "
        f"{pct(ip['decode_tps'], hp['decode_tps'])} | {fmt(bp['decode_tps'])} |",
        f"| TTFT (ms) | {fmt(ip['ttft_ms'])} | {fmt(hp['ttft_ms'])} | {pct(ip['ttft_ms'], hp['ttft_ms'])} | "
        f"{fmt(bp['ttft_ms'])} |",
        f"| inter-token latency (ms) | {fmt(ip['itl_ms'], '.2f')} | {fmt(hp['itl_ms'], '.2f')} | "
        f"{pct(ip['itl_ms'], hp['itl_ms'])} | {fmt(bp['itl_ms'], '.2f')} |",
        f"| end-to-end (s) | {fmt(ip['e2e_s'], '.2f')} | {fmt(hp['e2e_s'], '.2f')} | "
        f"{pct(ip['e2e_s'], hp['e2e_s'])} | {fmt(bp['e2e_s'], '.2f')} |",
        f"| decode tokens/s, range over rounds | {spread(ip, 'decode_tps')} | {spread(hp, 'decode_tps')} | | "
        f"{spread(bp, 'decode_tps')} |",
        f"| TTFT (ms), range over rounds | {spread(ip, 'ttft_ms')} | {spread(hp, 'ttft_ms')} | | "
        f"{spread(bp, 'ttft_ms')} |",
        f"| output tokens (source) | {fmt(ip['output_tokens'], '.0f')} ({', '.join(ip['token_source'])}) | "
        f"{fmt(hp['output_tokens'], '.0f')} ({', '.join(hp['token_source'])}) | | "
        f"{fmt(bp['output_tokens'], '.0f')} (usage) |",
        "",
        "*Bare SDK loop*: the same request through `ChatSession.process_streaming_request` with none of "
        "SLM Bench's code (timed the same way), to tell the runtime's cost from the harness's.",
        "",
        f"Same answer text over all three: {'yes' if t['same_answer'] else 'no'}.",
        "",
        f"## The harness's own cost per token ({meta['tiny_model']}, random weights, near-zero inference)",
        "",
        "*Live*: time between the first and last content token, per token, median of "
        f"{meta['tiny_rounds']} requests of {meta['max_tokens']} tokens in this process: a bare loop over "
        "the SDK's stream (*raw*) against `FoundryBackend.stream_chat` (*SLM Bench*: a timestamped "
        "`StreamEvent` per chunk). This includes interaction effects (the SDK hands each token over "
        "from its callback thread, which waits for the GIL while our loop holds it) and run-to-run "
        "noise. The *replay* rows isolate the CPU cost of our code on a recorded stream (best of "
        f"{meta['replay_repeats']}): `FoundryBackend._streamed` fed the SDK items of a real stream, "
        "against a loop that only reads each item's text; and `OpenAIBackend.stream_chat` on a "
        "recorded Foundry SSE response (through `httpx.MockTransport`), against the same `httpx` "
        "client reading the lines and `json.loads`-ing each chunk (per SSE chunk, one per token). "
        "`summarize()` runs once per request after the last event, outside every timed window.",
        "",
        "| measurement | raw (µs/token) | SLM Bench (µs/token) | added by SLM Bench (µs/token) |",
        "|---|---:|---:|---:|",
    ]
    for label in ("live in-process", "replay in-process", "replay http"):
        row = h[label]
        spec = ".1f" if label.startswith("live") else ".2f"
        lines.append(
            f"| {label} | {fmt(row['raw_us_per_token'], spec)} | {fmt(row['ours_us_per_token'], spec)} | "
            f"{fmt(row['overhead_us_per_token'], spec)} |"
        )
    lines += [
        "",
        f"`summarize()` of a {meta['max_tokens']}-token request: {fmt(h['live in-process']['summarize_us'], '.0f')} µs.",
    ]
    per_tok_ms = 1e3 / ip["decode_tps"] if ip["decode_tps"] else None
    worst = max(v for v in (row["overhead_us_per_token"] for row in h.values()) if v is not None)
    if per_tok_ms:
        lines += [
            "",
            f"At {fmt(ip['decode_tps'])} tokens/s a token of {meta['default_model']} takes "
            f"{per_tok_ms:.1f} ms; the largest cost SLM Bench adds above ({worst:.1f} µs/token) is "
            f"{worst / (per_tok_ms * 1e3) * 100:.2f}% of it.",
            "",
            f"Round by round, in-process and HTTP decode rates {overlap(ip, hp, 'decode_tps')} and their "
            f"TTFTs {overlap(ip, hp, 'ttft_ms')}. The bare SDK loop (no SLM Bench code) measures "
            f"{fmt(bp['decode_tps'])} tokens/s and {fmt(bp['ttft_ms'])} ms TTFT in-process, like SLM "
            "Bench's in-process column: what separates the in-process and HTTP columns is Foundry "
            "Local's own (its in-process streaming path vs its web service), not the harness's.",
        ]
    lines += [
        "",
        "## Machine",
        "",
        f"- CPU: {hw.get('processor')} ({hw.get('cpu_count_logical')} logical cores, "
        f"{hw.get('cpu_count_physical')} physical), {hw.get('memory_total_bytes', 0) / 2**30:.0f} GiB RAM",
        f"- OS: {hw.get('os')}, Python {hw.get('python')}, GPU: {', '.join(hw.get('gpu') or []) or 'none'}",
        f"- load average before the run: {meta['loadavg']}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in meta["packages"].items()),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured requests per transport")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up requests per transport")
    parser.add_argument("--tiny-rounds", type=int, default=15, help="live requests per loop, tiny model")
    parser.add_argument("--replay-repeats", type=int, default=200, help="replays of a recorded stream")
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--write", type=Path, help="write the Markdown report here (and a .json beside it)")
    parser.add_argument("--render", type=Path, help="only re-render the Markdown from a saved .json")
    args = parser.parse_args()
    if args.render:
        text = markdown(json.loads(args.render.read_text()))
        print(text)
        if args.write:
            args.write.write_text(text, encoding="utf-8")
        return

    from bench.acquire.importer import ensure_default_model, ensure_tiny_model

    loadavg = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average: {loadavg}", flush=True)
    default_name = ensure_default_model()
    tiny_name = ensure_tiny_model()
    inproc = FoundryBackend()
    port = foundry_service.free_port()
    print(f"starting the web service on port {port} ...", flush=True)
    with foundry_service.start_service_process([default_name, tiny_name], port=port) as service:
        default_id, tiny_id = service.model_ids
        http = OpenAIBackend(service.base_url)
        for name, mid in ((default_name, default_id), (tiny_name, tiny_id)):
            inproc.load(name)
            http.load(mid)
        print(f"{default_name}: in-process vs HTTP", flush=True)
        transport = transport_comparison(inproc, http, default_name, default_id, args)
        print(f"{tiny_name}: raw loops vs SLM Bench", flush=True)
        harness = harness_overhead(inproc, http, tiny_name, tiny_id, service.base_url, args)
    result = {
        "transport": transport,
        "harness": harness,
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "git_commit": provenance.git_commit(),
            "packages": provenance.package_versions(),
            "hardware": sysmon.hardware(),
            "loadavg": loadavg,
            "default_model": default_id,
            "tiny_model": tiny_id,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "tiny_rounds": args.tiny_rounds,
            "replay_repeats": args.replay_repeats,
            "max_tokens": args.max_tokens,
        },
    }
    text = markdown(result)
    print(text)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text, encoding="utf-8")
        args.write.with_suffix(".json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
