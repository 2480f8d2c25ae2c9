"""Model conversion, run inside the build environment (``.venv-build``), never in the runtime.

The full ``onnxruntime-genai`` builder pulls an onnxruntime that conflicts with the Foundry Local
SDK's pin, and torch/transformers are 1.3 GB the runtime does not need; so the importer starts
this module as a subprocess: ``.venv-build/bin/python -m bench.acquire.convert_worker <command> ...``.
It imports nothing from ``bench`` (the runtime packages are not installed here).

It prints ``PROGRESS <stage> <fraction|->`` lines the parent turns into a progress bar; every
other line is log text the parent shows when something fails.

Commands:
  gguf-to-hf GGUF OUT_HF_DIR            dequantise a GGUF into a Hugging Face folder
  hf-to-onnx HF_DIR OUT_DIR --precision  build an ONNX Runtime GenAI folder (CPU)
  tiny OUT_DIR                           build the tiny random test model (no download at all)
  versions                               print the converter package versions as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

# No hub access on the target machines: fail fast instead of retrying DNS for minutes.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
TINY_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
TINY_SEED = 1234
TINY_VOCAB = 2048


def progress(stage: str, fraction: float | None) -> None:
    """One machine-readable line for the parent; flushed so the bar moves in real time."""
    value = "-" if fraction is None else f"{max(0.0, min(1.0, fraction)):.4f}"
    print(f"PROGRESS {stage} {value}", flush=True)


def log(text: str) -> None:
    print(text, flush=True)


# --------------------------------------------------------------------------- GGUF -> HF


def gguf_to_hf(gguf: Path, out_dir: Path) -> None:
    """Dequantise a GGUF with transformers and save a plain (serialisable) HF folder."""
    progress("load-tokenizer", None)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    progress("dequantize-gguf", None)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    # transformers marks the model as GGUF-quantised and refuses save_pretrained; the weights
    # are already dequantised, so dropping the quantiser makes it a plain model again.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.config.__dict__.pop("quantization_config", None)
    progress("save-hf", None)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
    _ensure_chat_template(out_dir, tokenizer.chat_template)
    progress("save-hf", 1.0)
    log(f"saved Hugging Face folder {out_dir} ({model.config.model_type})")


def _ensure_chat_template(out_dir: Path, template: str | None) -> None:
    """Keep the chat template inside tokenizer_config.json too.

    transformers 5 writes it to ``chat_template.jinja``; ONNX Runtime GenAI reads
    ``tokenizer_config.json``. Without a template the model would chat through a raw prompt.
    """
    if not template:
        log("warning: the model has no chat template")
        return
    cfg_path = out_dir / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() else {}
    if cfg.get("chat_template") != template:
        cfg["chat_template"] = template
        cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n")
    jinja = out_dir / "chat_template.jinja"
    if not jinja.exists():
        jinja.write_text(template)


# --------------------------------------------------------------------------- HF -> ONNX


def _count_layers(hf_dir: Path) -> int:
    try:
        cfg = json.loads((hf_dir / "config.json").read_text())
        return int(cfg.get("num_hidden_layers") or cfg.get("text_config", {}).get("num_hidden_layers"))
    except (OSError, ValueError, TypeError):
        return 0


def builder_command(
    hf_dir: Path, out_dir: Path, precision: str, cache_dir: Path, extra: list[str]
) -> list[str]:
    """The builder's command line. ``hf_remote`` is always false: a model folder's own Python code
    (``trust_remote_code``) never runs here, whatever extra options ask for."""
    cmd = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(hf_dir)]
    cmd += ["-o", str(out_dir), "-p", precision, "-e", "cpu", "-c", str(cache_dir)]
    safe = [opt for opt in extra if not opt.strip().lower().startswith("hf_remote")]
    return [*cmd, "--extra_options", *safe, "hf_remote=false"]


def hf_to_onnx(hf_dir: Path, out_dir: Path, precision: str, extra: list[str]) -> None:
    """Run the ONNX Runtime GenAI model builder, turning its 'Reading layer N' lines into progress."""
    layers = _count_layers(hf_dir)
    steps = layers + 3  # embedding, layers, final norm, lm head
    done = 0
    with tempfile.TemporaryDirectory(prefix="slm-bench-builder-") as cache:
        cmd = builder_command(hf_dir, out_dir, precision, Path(cache), extra)
        log("$ " + " ".join(cmd))
        progress("build-onnx", 0.0)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            log(line.rstrip())
            if line.startswith("Reading "):
                done += 1
                progress("build-onnx", 0.9 * done / steps if layers else None)
            elif line.startswith("Saving ONNX model"):
                progress("save-onnx", None)
        code = proc.wait()
    if code != 0:
        raise SystemExit(f"model builder failed with exit code {code}")
    _ensure_chat_template_from(hf_dir, out_dir)
    progress("build-onnx", 1.0)


def _ensure_chat_template_from(hf_dir: Path, out_dir: Path) -> None:
    """Copy the chat template along if the builder dropped it (it copies only some files)."""
    jinja = hf_dir / "chat_template.jinja"
    cfg = hf_dir / "tokenizer_config.json"
    template = jinja.read_text() if jinja.exists() else None
    if template is None and cfg.exists():
        template = json.loads(cfg.read_text()).get("chat_template")
    if template:
        _ensure_chat_template(out_dir, template)


# --------------------------------------------------------------------------- tiny test model


def _training_text() -> list[str]:
    """Deterministic text to train the tiny tokenizer on, generated here from a seed.

    Nothing read from disk or the network: the same recipe gives the same tokenizer (and so the
    same model) on every machine and Python version.
    """
    rng = random.Random(TINY_SEED)
    syllables = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "sh", "ch", "qu", "x", "y"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(3000)]
    common = ("the", "a", "of", "and", "to", "in", "is", "it", "that", "for", "on", "with", "as", "was")
    sentences = []
    for _ in range(4000):
        picked = [
            rng.choice(common) if rng.random() < 0.3 else rng.choice(words) for _ in range(rng.randint(4, 16))
        ]
        tail = f" {rng.randint(0, 10000)}" if rng.random() < 0.1 else ""
        sentences.append(" ".join(picked).capitalize() + rng.choice(".?!,:;") + tail)
    chat = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\nParis.<|im_end|>\n"
    return [" ".join(sentences[i : i + 20]) for i in range(0, len(sentences), 20)] + [chat] * 50


def build_tiny_tokenizer(out_dir: Path):
    """Train a ByteLevel BPE (vocab ~2k) with a ChatML template; byte-level so no text is OOV."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=TINY_VOCAB,
        special_tokens=TINY_SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_training_text(), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        unk_token=None,
        model_max_length=2048,
    )
    fast.chat_template = CHATML_TEMPLATE
    fast.save_pretrained(str(out_dir))
    _ensure_chat_template(out_dir, CHATML_TEMPLATE)
    return fast


def build_tiny_hf(out_dir: Path) -> None:
    """A random, seeded Qwen2 (hidden 64, 2 layers, 4 heads): tests the whole path in seconds."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    progress("tiny-tokenizer", None)
    tokenizer = build_tiny_tokenizer(out_dir)
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    progress("tiny-model", None)
    torch.manual_seed(TINY_SEED)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
        bos_token_id=pad,
        eos_token_id=eos,
        pad_token_id=pad,
    )
    model = Qwen2ForCausalLM(config).eval()
    model.generation_config = GenerationConfig(bos_token_id=pad, eos_token_id=eos, pad_token_id=pad)
    model.save_pretrained(str(out_dir))
    log(f"tiny model: vocab {len(tokenizer)}, {sum(p.numel() for p in model.parameters()):,} parameters")


def tiny(out_dir: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="slm-bench-tiny-") as tmp:
        hf_dir = Path(tmp) / "hf"
        build_tiny_hf(hf_dir)
        hf_to_onnx(hf_dir, out_dir, "fp32", [])


# --------------------------------------------------------------------------- CLI

VERSIONED = ("onnxruntime-genai", "onnxruntime", "transformers", "torch", "tokenizers", "gguf")


def versions() -> dict[str, str]:
    """Converter versions for the import manifest (metadata only: importing torch costs seconds)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in VERSIONED:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = ""
    return found


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.acquire.convert_worker",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("gguf-to-hf", help="dequantise a GGUF into a Hugging Face folder")
    p.add_argument("gguf", type=Path)
    p.add_argument("out", type=Path)
    p = sub.add_parser("hf-to-onnx", help="build an ONNX Runtime GenAI folder for CPU")
    p.add_argument("hf_dir", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--precision", choices=["int4", "fp32"], default="int4")
    p.add_argument(
        "--extra-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="passed to the builder's --extra_options (repeatable)",
    )
    p = sub.add_parser("tiny", help="build the tiny random test model")
    p.add_argument("out", type=Path)
    sub.add_parser("versions", help="print converter package versions as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "gguf-to-hf":
        gguf_to_hf(args.gguf.resolve(), args.out.resolve())
    elif args.command == "hf-to-onnx":
        hf_to_onnx(args.hf_dir.resolve(), args.out.resolve(), args.precision, args.extra_option)
    elif args.command == "tiny":
        tiny(args.out.resolve())
    else:
        print(json.dumps(versions()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
