"""The multi-turn set as a table: four conversations of 4, 5, 6 and 8 turns.

Each turn: (user message, the scripted assistant reply the next turns carry, checks on the answer to
this turn). The late turns ask for something said early, so the checks test that the model used the
whole message list; early turns carry light checks or none.
"""

from __future__ import annotations

from typing import Any


def _has(value: str) -> dict[str, Any]:
    return {"type": "contains", "value": value, "ignore_case": True}


def _re(pattern: str) -> dict[str, Any]:
    return {"type": "regex", "pattern": pattern, "ignore_case": True}


ASSIST = "You are a helpful assistant. Keep answers short."
CONVERSATIONS: list[tuple[str, str, list[tuple[str, str, list[dict[str, Any]]]]]] = [
    ("trip", ASSIST, [
        ("Hi! My name is Priya and I'm planning a trip to Porto in May.",
         "Nice to meet you, Priya! Porto in May is lovely: warm days and fewer crowds.", []),
        ("I'll be there for 3 nights. What should I see on the first day?",
         "Start at the Ribeira riverside, cross the Dom Luis I bridge and visit a port cellar in Gaia.", []),
        ("Great. My budget is 600 euros for the whole stay. Is that enough?",
         "Yes, 600 euros for 3 nights is enough for a mid-range guesthouse, food and museums.", []),
        ("Remind me: what is my name, which city am I visiting, and for how many nights?",
         "Your name is Priya, you are visiting Porto, for 3 nights.",
         [_has("Priya"), _has("Porto"), _re(r"\b(3|three)\b")]),
    ]),
    ("recipe", ASSIST, [
        ("I want to bake pancakes. The recipe serves 4 and uses 200 g of flour and 2 eggs.",
         "Sounds good! 200 g flour and 2 eggs for 4 servings.", []),
        ("It also uses 300 ml of milk.", "Got it: 200 g flour, 2 eggs and 300 ml milk for 4.", []),
        ("How much flour do I need for 8 people?", "For 8 people, double it: 400 g of flour.",
         [_re(r"\b400\s*g")]),
        ("And how much milk for 8 people?", "600 ml of milk.", [_re(r"\b600\s*ml")]),
        ("And how many eggs for 2 people? Answer with the number only.", "1",
         [_re(r"^\D*\b(1|one)\b\D*$")]),
    ]),
    ("support", "You are a support agent for the Lumo smart lamp. Keep answers short.", [
        ("My Lumo lamp won't connect to wifi.", "Sorry to hear that. Which lamp model do you have?", []),
        ("It's the Lumo Mini, serial number LM-4471.",
         "Thanks. Please hold the button for 5 seconds until the light blinks blue.", []),
        ("It blinks blue now.", "Good. Open the Lumo app and tap Add device.", []),
        ("The app says 'device not found'.",
         "Make sure your phone is on a 2.4 GHz wifi network; the Lumo Mini does not support 5 GHz.", []),
        ("Switched to 2.4 GHz and it worked!", "Great, glad it works now!", []),
        ("For my records: what was my serial number and which wifi band fixed it?",
         "Your serial number is LM-4471 and the 2.4 GHz band fixed it.",
         [_has("LM-4471"), _re(r"2\.4")]),
    ]),
    ("shopping", ASSIST, [
        ("Help me keep a shopping list. Add apples.", "Added apples. List: apples.", []),
        ("Add bread and cheese.", "Added. List: apples, bread, cheese.", []),
        ("Remove the apples.", "Removed apples. List: bread, cheese.", []),
        ("Add 6 eggs.", "Added. List: bread, cheese, 6 eggs.", []),
        ("Add tomatoes.", "Added. List: bread, cheese, 6 eggs, tomatoes.", []),
        ("Replace the cheese with butter.", "Done. List: bread, butter, 6 eggs, tomatoes.", []),
        ("How many eggs are on the list? Answer with the number only.", "6", [_re(r"\b(6|six)\b")]),
        ("Now read me the whole list, comma-separated.", "bread, butter, 6 eggs, tomatoes",
         [_has("bread"), _has("butter"), _has("eggs"), _has("tomatoes"),
          {"type": "not_contains", "value": "apples", "ignore_case": True},
          {"type": "not_contains", "value": "cheese", "ignore_case": True}]),
    ]),
]  # fmt: skip
