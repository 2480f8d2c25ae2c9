"""Write prompts/long-context.json: seeded synthetic documents with a fact planted at varied depths.

Why generated: a long-context prompt must be long in the *model's* tokens, carry a fact no model can
know beforehand, and be reproducible. Each document is an invented company's operations report (written
for SLM Bench, no licence issue) built from sentence templates by ``random.Random(seed)``; one
sentence states the access code of one storage room (the fact), another states a different room's
code (the distractor), so an answer that repeats any four-digit number fails. Documents are sized
to about 512, 1k, 2k, 4k and 8k tokens of SmolLM2-135M's tokenizer (``tokenizer.json``; other
models' tokenizers differ by some percent: the run measures each model's real prompt tokens, and a
prompt longer than a model's context window is refused before sending).

Run (the tokenizer lives in the build venv):
    .venv-build/bin/python prompts/tools/make_long_context.py [--tokenizer PATH] [--seed 19]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TOKENIZER = ROOT / ".slm-bench" / "models" / "smollm2-135m" / "tokenizer.json"
#: (label, target input tokens, depths of the planted fact as a share of the document)
SIZES = (
    ("512", 512, (0.25, 0.75)),
    ("1k", 1024, (0.1, 0.5, 0.9)),
    ("2k", 2048, (0.1, 0.5, 0.9)),
    ("4k", 4096, (0.1, 0.5, 0.9)),
    ("8k", 8192, (0.1, 0.5, 0.9)),
)
SYSTEM = "You answer questions about a document. Use only the document. Reply with the answer alone."
CITIES = ["Lisbon", "Oslo", "Tallinn", "Porto", "Lyon", "Gdansk", "Bergen", "Turin", "Ghent", "Malmo",
          "Leeds", "Graz", "Brno", "Cork", "Bilbao", "Utrecht", "Aarhus", "Split", "Basel", "Krakow"]  # fmt: skip
PEOPLE = ["Ana Silva", "Jonas Berg", "Mei Tan", "Omar Haddad", "Lucia Ferri", "Piotr Nowak", "Sara Holm",
          "David Okoye", "Ines Costa", "Tomas Kral", "Elena Ruiz", "Hugo Martin", "Nadia Aziz"]  # fmt: skip
TEAMS = ["logistics", "customer support", "finance", "maintenance", "procurement", "quality", "IT", "sales"]
THINGS = ["pallets", "spare parts", "printer toner", "cable drums", "safety helmets", "office chairs",
          "laptop batteries", "cleaning supplies", "packing tape", "forklift tyres"]  # fmt: skip
TEMPLATES = [
    "In {month}, the {team} team in {city} handled {n} requests, {pct}% of them within one working day.",
    "{person} reviewed the {team} budget for {city} and moved {n} euros from travel to training.",
    "The {city} site received {n} {thing} in {month}; {pct}% were checked on arrival by {person}.",
    "A delay at the {city} depot in {month} held back {n} {thing} for {days} days before they shipped.",
    "{person} proposed that the {team} team share one rota across {city} and {city2} from {month}.",
    "Staff in {city} logged {n} hours of overtime in {month}, mostly in {team}, which {person} approved.",
    "The {team} dashboard for {city} was rebuilt in {month} and now refreshes every {days} minutes.",
    "An audit of {thing} in {city} found {n} items missing from the records; {person} corrected them.",
    "From {month}, orders of {thing} above {n} euros in {city} need a second signature from {team}.",
    "{person} trained {n} new colleagues in {city} on the {team} ticket system during {month}.",
    "The {city} office cut its energy use by {pct}% in {month} after {person} replaced the old lighting.",
    "Returns of {thing} to the {city} warehouse fell to {n} in {month}, the lowest in {days} months.",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]  # fmt: skip


def sentence(rng: random.Random) -> str:
    city, city2 = rng.sample(CITIES, 2)
    return rng.choice(TEMPLATES).format(
        month=rng.choice(MONTHS), team=rng.choice(TEAMS), city=city, city2=city2, person=rng.choice(PEOPLE),
        thing=rng.choice(THINGS), n=rng.randint(12, 980), pct=rng.randint(5, 97), days=rng.randint(2, 30),
    )  # fmt: skip


def fact(room: str, code: str) -> str:
    return f"The access code of the {room} storage room is {code}; staff must not write it down elsewhere."


def build(size: int, depth: float, rng: random.Random, count: Any) -> dict[str, Any]:
    """One prompt of about ``size`` tokens (system + question included) with the fact at ``depth``."""
    room, other = rng.sample(CITIES, 2)
    code, decoy = (str(c) for c in rng.sample(range(1000, 9999), 2))
    question = f"Question: What is the access code of the {room} storage room? Reply with the code only."
    head = "Read the operations report below and answer the question after it.\n\n<document>\n"
    tail = "\n</document>\n\n" + question
    body: list[str] = []
    budget = size - count(SYSTEM) - count(head + tail) - 24  # ~24 tokens of chat template
    while count(" ".join(body)) < budget:
        body.append(sentence(rng))
    body.pop()  # just under the budget
    body.insert(int(len(body) * depth), fact(room, code))
    decoy_at = int(len(body) * (1 - depth)) if abs(0.5 - depth) > 0.1 else len(body) // 5
    body.insert(decoy_at, fact(other, decoy))
    return {
        "system": SYSTEM,
        "prompt": head + " ".join(body) + tail,
        "reference": code,
        "checks": [
            {"type": "regex", "pattern": rf"\b{code}\b"},
            {"type": "not_contains", "value": decoy},
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--out", type=Path, default=ROOT / "prompts" / "long-context.json")
    args = parser.parse_args()
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(args.tokenizer))

    def count(text: str) -> int:
        return len(tokenizer.encode(text).ids)

    rng = random.Random(args.seed)
    prompts = []
    for label, size, depths in SIZES:
        for depth in depths:
            item = build(size, depth, rng, count)
            tokens = count(item["system"]) + count(item["prompt"])
            prompts.append({"id": f"lc-{label}-d{int(depth * 100):02d}", **item, "aspects": ["accuracy"]})
            print(f"{prompts[-1]['id']}: {tokens} tokens (SmolLM2 tokenizer, without the chat template)")
    data = {
        "name": "long-context",
        "workload": "long-context",
        "description": (
            "A fact planted at 10-90% depth of invented operations reports of about 512, 1k, 2k, 4k and 8k"
            " tokens (SmolLM2's tokenizer), with a decoy fact: prefill cost and recall. Generated by"
            f" prompts/tools/make_long_context.py --seed {args.seed}; written for SLM Bench."
        ),
        "prompts": prompts,
    }
    args.out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
