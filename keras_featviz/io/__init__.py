"""Pictures and files: what goes in and what comes out.

- `folders`: reading a folder of images of any sizes, safely, and crops.
- `results`: `Visualization` (images, activations, probabilities, PNGs
  and grids) and safe file writing.
- `sheets`: pictures for people: heat and diverging colour maps with
  their key, labelled rows of tiles.
- `tensorboard`: the one module that imports TensorFlow (`tf.summary`,
  on first write).
- `imagenet`: the 1,000 ImageNet class names shipped with the package.

May import: the top-level `defaults` and `validation` only.
"""
