"""The tool-calls set as a table: the app's functions and 30 requests (one call, none, or two).

Each case: (id, tools offered, request, [(function, arguments it must be called with)], reference prose
for a case that needs no call). Arguments are what the request states outright, so one right call
exists; dates and units are asked for in a fixed form.
"""

from __future__ import annotations

from typing import Any


def _fn(name: str, description: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "parameters": {"type": "object", "properties": props, "required": required},
    }


STR, INT, NUM = {"type": "string"}, {"type": "integer"}, {"type": "number"}
TOOLS: dict[str, dict[str, Any]] = {
    "get_weather": _fn("get_weather", "Current weather for a city.",
                       {"city": STR, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, ["city"]),
    "send_email": _fn("send_email", "Send an email.", {"to": STR, "subject": STR, "body": STR}, ["to", "subject"]),
    "create_event": _fn("create_event", "Add an event to the calendar. date is YYYY-MM-DD, time is HH:MM.",
                        {"title": STR, "date": STR, "time": STR}, ["title", "date"]),
    "convert_currency": _fn("convert_currency", "Convert an amount between currencies (ISO codes).",
                            {"amount": NUM, "from_currency": STR, "to_currency": STR},
                            ["amount", "from_currency", "to_currency"]),
    "set_timer": _fn("set_timer", "Start a countdown timer.", {"minutes": INT, "label": STR}, ["minutes"]),
    "search_products": _fn("search_products", "Search the shop's catalogue.",
                           {"query": STR, "max_price": NUM}, ["query"]),
    "get_stock_price": _fn("get_stock_price", "Latest price of a stock by ticker symbol.",
                           {"ticker": STR}, ["ticker"]),
    "translate_text": _fn("translate_text", "Translate text into a language (ISO 639-1 code).",
                          {"text": STR, "target_language": STR}, ["text", "target_language"]),
    "book_table": _fn("book_table", "Book a restaurant table. date is YYYY-MM-DD, time is HH:MM.",
                      {"restaurant": STR, "date": STR, "time": STR, "people": INT},
                      ["restaurant", "date", "time", "people"]),
    "create_ticket": _fn("create_ticket", "Open a support ticket.",
                         {"title": STR, "priority": {"type": "string", "enum": ["low", "medium", "high"]}},
                         ["title", "priority"]),
}  # fmt: skip

W, E, C, X, T, P, K, L, B, Q = (
    "get_weather", "send_email", "create_event", "convert_currency", "set_timer",
    "search_products", "get_stock_price", "translate_text", "book_table", "create_ticket",
)  # fmt: skip
CASES: list[tuple[str, list[str], str, list[tuple[str, dict[str, Any]]], str]] = [
    ("weather-01", [W, E], "What's the weather in Lisbon right now?", [(W, {"city": "Lisbon"})], ""),
    ("weather-02", [W, T], "How warm is it in Denver? Give it to me in fahrenheit.",
     [(W, {"city": "Denver", "unit": "fahrenheit"})], ""),
    ("email-01", [E, C], "Email bob@example.com with the subject 'Lunch' and say I'll be 10 minutes late.",
     [(E, {"to": "bob@example.com", "subject": "Lunch"})], ""),
    ("email-02", [E, Q], "Send an email to hr@acme.io, subject: Holiday request.",
     [(E, {"to": "hr@acme.io", "subject": "Holiday request"})], ""),
    ("event-01", [C, E], "Put 'Dentist' in my calendar on 2025-05-12 at 09:30.",
     [(C, {"title": "Dentist", "date": "2025-05-12", "time": "09:30"})], ""),
    ("event-02", [C, T], "Add an event called Team retro on 2025-11-03 at 16:00.",
     [(C, {"title": "Team retro", "date": "2025-11-03", "time": "16:00"})], ""),
    ("currency-01", [X, K], "Convert 250 USD to EUR.",
     [(X, {"amount": 250, "from_currency": "USD", "to_currency": "EUR"})], ""),
    ("currency-02", [X, W], "How many Japanese yen (JPY) is 80 British pounds (GBP)?",
     [(X, {"amount": 80, "from_currency": "GBP", "to_currency": "JPY"})], ""),
    ("timer-01", [T, C], "Set a timer for 15 minutes.", [(T, {"minutes": 15})], ""),
    ("timer-02", [T, W], "Start a 7 minute timer labelled eggs.", [(T, {"minutes": 7, "label": "eggs"})], ""),
    ("shop-01", [P, X], "Find running shoes in the shop.", [(P, {"query": "running shoes"})], ""),
    ("shop-02", [P, Q], "Search the catalogue for a desk lamp under 40.",
     [(P, {"query": "desk lamp", "max_price": 40})], ""),
    ("stock-01", [K, X], "What's the latest price of MSFT?", [(K, {"ticker": "MSFT"})], ""),
    ("translate-01", [L, E], "Translate 'Where is the station?' into German (de).",
     [(L, {"text": "Where is the station?", "target_language": "de"})], ""),
    ("translate-02", [L, W], "Translate 'thank you very much' to Spanish, code es.",
     [(L, {"text": "thank you very much", "target_language": "es"})], ""),
    ("table-01", [B, C], "Book a table at Casa Nova for 4 people on 2025-07-19 at 20:00.",
     [(B, {"restaurant": "Casa Nova", "date": "2025-07-19", "time": "20:00", "people": 4})], ""),
    ("ticket-01", [Q, E], "Open a high priority ticket titled 'VPN down'.",
     [(Q, {"title": "VPN down", "priority": "high"})], ""),
    ("ticket-02", [Q, T], "Log a low priority support ticket: Printer paper jam.",
     [(Q, {"title": "Printer paper jam", "priority": "low"})], ""),
    ("none-01", [W, X], "Write a haiku about autumn leaves.", [],
     "Red leaves drift and fall / the path grows quiet and gold / autumn breathes once more"),
    ("none-02", [T, C], "What is the capital of Canada?", [], "Ottawa."),
    ("none-03", [K, P], "Explain in one sentence what a stock split is.", [],
     "A stock split divides each share into several shares, lowering the price per share."),
    ("none-04", [E, W], "How many days are there in a leap year?", [], "366."),
    ("none-05", [B, L], "Suggest a name for a grey cat.", [], "Smokey."),
    ("two-01", [W, E], "What's the weather in Oslo and in Bergen?",
     [(W, {"city": "Oslo"}), (W, {"city": "Bergen"})], ""),
    ("two-02", [T, C], "Set a 5 minute timer and a 20 minute timer.",
     [(T, {"minutes": 5}), (T, {"minutes": 20})], ""),
    ("two-03", [K, X], "Get the latest prices of AAPL and NVDA.",
     [(K, {"ticker": "AAPL"}), (K, {"ticker": "NVDA"})], ""),
    ("two-04", [W, T, X], "Convert 100 EUR to USD, then start a 10 minute timer.",
     [(X, {"amount": 100, "from_currency": "EUR", "to_currency": "USD"}), (T, {"minutes": 10})], ""),
    ("two-05", [E, C, Q], "Add 'Budget review' on 2025-09-01 at 11:00 to my calendar and email "
     "ana@example.com with the subject 'Budget review'.",
     [(C, {"title": "Budget review", "date": "2025-09-01", "time": "11:00"}),
      (E, {"to": "ana@example.com", "subject": "Budget review"})], ""),
    ("pick-01", [W, K, X, T], "Is it raining in Dublin?", [(W, {"city": "Dublin"})], ""),
    ("pick-02", [E, L, P, B], "I need a table for 2 at Sakura on 2025-02-14 at 19:30.",
     [(B, {"restaurant": "Sakura", "date": "2025-02-14", "time": "19:30", "people": 2})], ""),
]  # fmt: skip
