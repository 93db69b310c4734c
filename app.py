"""cnnplay entry point: page config, torch threads, navigation over views/, shared sidebar.

Run with ``make run`` (or ``streamlit run app.py``).
"""

import streamlit as st

from cnnplay.device import configure_torch_threads
from ui.catalog import available_pages
from ui.sidebar import device_badge

st.set_page_config(page_title="cnnplay: learn CNNs by touching them", page_icon="🧮", layout="wide")

# Streamlit serves every browser session from threads of this one process, and torch's CPU
# thread pool is process-wide: bound it once (idempotent across reruns) so that a class of
# students sharing the server does not oversubscribe the cores. See configure_torch_threads.
configure_torch_threads()

home = st.Page("views/home.py", title="Home", icon=":material/home:", default=True)
navigation = {"": [home]}
for section, pages in available_pages().items():
    navigation[section] = [st.Page(p.path, title=p.title, icon=p.icon) for p in pages]

page = st.navigation(navigation)
device_badge()
page.run()
