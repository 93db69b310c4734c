"""cnnplay: the computation behind the cnnplay app (no Streamlit in here).

Modules are named after the concept they compute: ``device`` (where tensors live), ``images``
(upload intake and samples), ``grids`` (the lecture notes' ±1 pixel images), ``kernels`` (named
filters), ``ops`` (readable loop versions of CNN operations, each tested against torch),
``filtering`` (real-sized convolution of photos with torch) and ``plots`` (plotly figures).
"""
