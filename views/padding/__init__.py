"""The Padding, stride & dilation page: one module per tab, plus the labels they share."""
