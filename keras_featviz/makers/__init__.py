"""Image makers: how an image is made.

- `generators`: the paper's generator network (Table 2, any input size,
  many targets in one network), the decoder of the pretrained mode, and
  `to_pixels`, the map from a generator's output to the pixels shown.
- `layers`, `patches`: the per-target convolutions and normalisations,
  Eq. 1's feature vector, the decorrelated colour output.
- `parameterizations`: images without a generator network (pixels,
  Lucid's Fourier image, MACO's phase-only image).
- `conditional`: one class-conditional generator for every class (the
  amortised generator of `AmortisedVisualizer`).
- `autoencoder`: the denoising autoencoder whose decoder is the
  pretrained generator.
- `generator_source`: the generator choice, checked once, that builds the
  networks.
- `costs`: the FLOPs of a step, and the scratch generator's width sized to
  the classifier.

May import: `io`, and the top-level `config`, `defaults`, `surgery` and
`validation`; never `optimization`, `views`, `callbacks` or `cli`.
"""
