"""Annotation at keyboard speed: keys 1-5 pick a score, Enter saves, Tab skips the help icons.

Why (issue 20): an answer took 5 clicks; number keys did nothing; Ctrl+Enter on a focused score button
un-picked the score instead of saving; Tab stopped on every "?" icon; a picked score was a faint
outline. Streamlit has no key bindings for a segmented control, so a small script in the page adds
them, only inside the scoring form (the container keyed :data:`SCOPE`): a digit 1-5 on a focused
score row picks that score (never un-picks it) and moves focus to the next aspect's row; Enter or
Ctrl/Cmd+Enter anywhere in the form but a text box presses Save (the page then moves to the next
unannotated answer). The styles make a picked score a filled, bold button.
"""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components

SCOPE = "annotate_scores"  # st.container(key=SCOPE) -> the CSS class "st-key-annotate_scores"

_STYLE = f"""
<style>
.st-key-{SCOPE} [data-testid="stButtonGroup"] button[role="radio"][aria-checked="true"] {{
  background: #1d4ed8 !important; color: #ffffff !important; font-weight: 700 !important;
  box-shadow: 0 0 0 2px #1e3a8a inset !important;
}}
.st-key-{SCOPE} [data-testid="stButtonGroup"] button[role="radio"][aria-checked="true"] * {{
  color: #ffffff !important;
}}
</style>
"""

_SCRIPT = f"""
<script>
(() => {{
  const doc = window.parent.document;
  const scope = () => doc.querySelector('.st-key-{SCOPE}');
  const SCORE = 'button[role="radio"]';  // a score option, not the help icon's button
  const untab = () => {{
    const root = scope();
    if (!root) return;
    root.querySelectorAll('[data-testid="stTooltipHoverTarget"], [data-testid="stTooltipHoverTarget"] *,'
      + ' [data-testid="stTooltipIcon"], [data-testid="stTooltipIcon"] *, button[aria-label^="Help for"]')
      .forEach(e => e.setAttribute('tabindex', '-1'));
  }};
  untab();
  if (doc.__slmAnnotateKeys) return;
  doc.__slmAnnotateKeys = true;
  new MutationObserver(untab).observe(doc.body, {{subtree: true, childList: true}});
  doc.addEventListener('keydown', (ev) => {{
    const root = scope();
    const target = ev.target;
    // no instanceof: the listener lives in this frame's realm, the elements in the page's
    if (!root || !target || !target.closest || !root.contains(target)) return;
    const group = target.closest('[data-testid="stButtonGroup"]');
    const typing = target.matches('input, textarea, [contenteditable="true"]');
    if (group && /^[1-5]$/.test(ev.key) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {{
      const button = group.querySelectorAll(SCORE)[Number(ev.key) - 1];
      if (!button) return;
      ev.preventDefault();
      ev.stopPropagation();
      if (button.getAttribute('aria-checked') !== 'true') button.click();
      const groups = [...root.querySelectorAll('[data-testid="stButtonGroup"]')];
      const next = groups[groups.indexOf(group) + 1];
      setTimeout(() => {{
        const first = next && (next.querySelector(SCORE + '[aria-checked="true"]')
          || next.querySelector(SCORE));
        if (first) first.focus(); else button.focus();
      }}, 60);
      return;
    }}
    if (ev.key === 'Enter' && !(typing && !ev.ctrlKey && !ev.metaKey && target.matches('textarea'))) {{
      const save = root.querySelector('[data-testid="stFormSubmitButton"] button');
      if (!save || (typing && !ev.ctrlKey && !ev.metaKey)) return;  // Enter in a comment: the form submits
      ev.preventDefault();
      ev.stopPropagation();
      save.click();
    }}
  }}, true);
}})();
</script>
"""


def install() -> None:
    """Add the key bindings and the picked-score style to this page run (call once, before the form)."""
    st.html(_STYLE)
    components.html(_SCRIPT, height=0)
