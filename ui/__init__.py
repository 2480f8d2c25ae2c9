"""Streamlit-only helpers of the SLM Bench app: cached singletons, background jobs, error display.

Everything here is presentation glue. Measuring, storing and aggregating live in ``bench``; the
pages call ``bench`` and use these helpers to show the results.
"""
