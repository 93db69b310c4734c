"""What several tabs of the Padding, stride & dilation page share: the padding modes' labels."""

MODE_LABELS = {  # torch's padding_mode -> the name the notes use
    "zeros": "zeros",
    "reflect": 'reflect ("mirroring")',
    "replicate": 'replicate ("repetition")',
    "circular": "circular (wrap around)",
}
