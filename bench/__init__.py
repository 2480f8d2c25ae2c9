"""SLM Bench: measure and compare small language models on your own hardware.

The package is usable without Streamlit: ``python -m bench --help``. Import cost is kept
small on purpose (no SDK import at package import), so the CLI starts fast and the
conversion worker can run in the separate build environment.
"""

__version__ = "0.1.0"
