"""Home: what cnnplay is and a map of the concepts, with what each page teaches."""

import streamlit as st

from cnnplay.plots.style import MAP_OPEN_FILL, MAP_PLANNED_FILL, MAP_SECTION_LINE
from ui.catalog import SECTIONS

st.title("cnnplay")
st.markdown(
    "Learn convolutional neural networks by touching every idea: edit a kernel and watch the "
    "feature map change, step through each multiply-and-add, and try it on your own photos. "
    "Most pages reproduce worked examples of the lecture notes, number for number (each card "
    "below lists which ones), then let you go further."
)

# The path through the ideas, a row per section (rendered in the browser, no install). Edges
# between sections do not constrain the layout, so the rows stack instead of one long line.
clusters, edges, previous = [], [], None
for n, (section, pages) in enumerate(SECTIONS.items()):
    nodes = " ".join(
        f'"{p.title}" [style="rounded,filled", '
        f'fillcolor="{MAP_OPEN_FILL if p.path else MAP_PLANNED_FILL}"];'
        for p in pages
    )
    clusters.append(
        f'subgraph cluster_{n} {{ label="{section}"; color="{MAP_SECTION_LINE}"; {nodes} }}'
    )
    for page in pages:
        if previous:
            same = previous in [p.title for p in pages]
            edges.append(
                f'"{previous}" -> "{page.title}"' + ("" if same else " [constraint=false]") + ";"
            )
        previous = page.title
st.graphviz_chart(
    'digraph { rankdir=LR; node [shape=box, fontname="sans-serif", fontsize=11]; '
    + " ".join(clusters)
    + " "
    + " ".join(edges)
    + " }",
    width="content",
)
planned = any(p.path is None for pages in SECTIONS.values() for p in pages)
st.caption(
    ("Blue boxes are pages you can open now; grey ones are planned. " if planned else "")
    + "The map is a picture: open a page from its card below or from the sidebar."
)

for section, pages in SECTIONS.items():
    st.subheader(section)
    for info in pages:
        with st.container(border=True):
            if info.path:
                st.page_link(info.file, label=f"**{info.title}**", icon=info.icon)
            else:
                st.markdown(f"**{info.title}** · _coming soon_")
            notes = f"  \n_Lecture notes: {info.seeds}_" if info.seeds else ""
            examples = f"  \n_Worked examples reproduced: {info.examples}_" if info.examples else ""
            st.markdown(info.teaches + notes + examples)
