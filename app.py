"""cnnplay entry point: page config, torch threads, navigation over views/, shared sidebar.

Run with ``make run`` (or ``streamlit run app.py``). Streamlit Community Cloud runs it through
``deploy/cloud/streamlit_app.py``, so page files are named by absolute paths (Streamlit resolves
relative ones against whichever file it was started with).
"""

from pathlib import Path

import streamlit as st

from ui.catalog import available_pages
from ui.quiz import quiz_switch
from ui.server import prepare_process
from ui.sessions import note_session
from ui.sidebar import (
    collapse_sidebar_after_navigation,
    device_badge,
    narrow_screen_style,
    photo_sidebar,
)

st.set_page_config(page_title="cnnplay: learn CNNs by touching them", page_icon="🧮", layout="wide")

# Streamlit serves every browser session from threads of this one process: once per process,
# bound torch's (process-wide) CPU thread pool so a class does not oversubscribe the cores, and
# freeze the long-lived start-up objects out of the garbage collector that Streamlit runs after
# every script run (see ui/server.py). Later calls return at once.
prepare_process()
note_session()  # this browser is here now: its session is closed ~90 s after it has gone

HOME = Path(__file__).resolve().parent / "views" / "home.py"
home = st.Page(HOME, title="Home", icon=":material/home:", default=True)
navigation = {"": [home]}
for section, pages in available_pages().items():
    navigation[section] = [st.Page(p.file, title=p.title, icon=p.icon) for p in pages]

page = st.navigation(navigation, expanded=True)  # every page listed: no "View 3 more"
collapse_sidebar_after_navigation(page.url_path)
narrow_screen_style()
device_badge()
quiz_switch()  # quiz mode for the whole app (ui/quiz.py); ?quiz=1 turns it on
photo_sidebar()
page.run()
