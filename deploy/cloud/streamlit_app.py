"""Streamlit Community Cloud's entrypoint ("Main file path": ``deploy/cloud/streamlit_app.py``).

Community Cloud installs the requirements file that sits beside its entrypoint (this folder's
``requirements.txt``: CPU-only torch) before the repository's own, which stays the one that
``make run`` and ``make test`` install. This file only prepares the process and runs the app:

- the repository root goes on ``sys.path`` (Streamlit puts only this folder there);
- the hosted profile (ui/hosting.py) is on unless the app's secrets or environment name another
  (``CNNPLAY_PROFILE = "class"`` in the secrets gives a class server's limits);
- then ``app.py`` runs exactly as ``streamlit run app.py`` would run it, on every rerun.
"""

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui.hosting import PROFILE_ENV, secret  # noqa: E402 - needs the root on sys.path

os.environ.setdefault(PROFILE_ENV, secret(PROFILE_ENV) or "hosted")
runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
