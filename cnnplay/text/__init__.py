"""CNNs for text (seeds 000-002): tokenizer and vocabulary (``vocab``), the generated sentiment
corpus, CSV intake and SST-2 (``corpus``), Kim's CNN / the Keras stack / a bag of words
(``models``), what a filter fired on (``explain``) and the figures (``plots``)."""
