"""Home: what cnnplay is and a map of the concepts, with what each page teaches."""

import streamlit as st

from ui.catalog import SECTIONS

st.title("cnnplay")
st.markdown(
    "Learn convolutional neural networks by touching every idea: edit a kernel and watch the "
    "feature map change, step through each multiply-and-add, and try it on your own photos. "
    "Every page reproduces the worked examples of the lecture notes, then lets you go further."
)

# The path through the ideas, a row per section (rendered in the browser, no install). Edges
# between sections do not constrain the layout, so the rows stack instead of one long line.
clusters, edges, previous = [], [], None
for n, (section, pages) in enumerate(SECTIONS.items()):
    nodes = " ".join(
        f'"{p.title}" [style="rounded,filled", fillcolor="{"#cfe8ff" if p.path else "#f4f4f4"}"];'
        for p in pages
    )
    clusters.append(f'subgraph cluster_{n} {{ label="{section}"; color="#cccccc"; {nodes} }}')
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
st.caption("Blue boxes are pages you can open now; the others are on their way.")

for section, pages in SECTIONS.items():
    st.subheader(section)
    for info in pages:
        with st.container(border=True):
            if info.path:
                st.page_link(info.file, label=f"**{info.title}**", icon=info.icon)
            else:
                st.markdown(f"**{info.title}** · _coming soon_")
            st.markdown(info.teaches + (f"  \n_Lecture notes: {info.seeds}_" if info.seeds else ""))
