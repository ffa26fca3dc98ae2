"""Atlases: every class and every channel of named layers, in chunks that resume.

`make_atlas(visualizer, folder, classes=..., layers=...)` visualizes many
targets (all 1,000 classes of an ImageNet model, every channel of a layer)
chunk by chunk and writes each chunk's files as soon as it is done, so
memory stays flat however many targets, a killed run resumes where it
stopped, and several processes (or cluster jobs, `shard=(i, n)`) split one
sweep. The folder holds:

- `atlas.json`: what was asked: the settings and every target, written
  first; a resumed run must ask the same.
- `<section>/<index>_<label>.png`: one image per target; the section is
  `classes` or a layer's name.
- `chunks/<n>.json`: one per finished chunk, written after its PNGs: its
  targets, files, activations and probabilities. A chunk without it is run
  again.
- `<section>.png`: a grid of thumbnails per section, and `index.json`,
  every target in order: written by whichever process finds every chunk
  done (a later run that finds them all done writes them too).

Files are written under a temporary name and renamed, so an interrupted
run never leaves half a file.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keras_featviz import defaults, devices
from keras_featviz import objectives as obj
from keras_featviz.io.results import enlarged, file_stem, fit_text, to_pil, write_atomically
from keras_featviz.surgery import target_layers, unknown_layer_error
from keras_featviz.validation import positive_int, shard_spec, verbosity

if TYPE_CHECKING:  # the façade imports this module's helpers
    from keras_featviz.visualizer import FeatureVisualizer

SETTINGS_FILE = "atlas.json"
INDEX_FILE = "index.json"
CHUNKS = "chunks"
CLASSES = "classes"


def _sections(visualizer, classes, layers, pre_activation):
    """`[(section, [(index, objective), ...]), ...]` in the atlas' order."""
    sections = []
    count = visualizer.probe.num_classes
    if isinstance(classes, str) and classes == "all":
        classes = range(count)
    if classes is not None:
        classes = [obj.class_index(c, visualizer.class_names) if isinstance(c, str) else c for c in classes]
        sections.append((CLASSES, [(int(c), obj.class_(int(c))) for c in classes]))
    # Channel counts from the classifier itself: a copy of it per layer
    # (`layer_shape`) would hold every layer's copy at once.
    counts = {row["name"]: row["channels"] for row in target_layers(visualizer.classifier)}
    for layer in layers or ():
        if layer not in counts:
            raise unknown_layer_error(layer, visualizer.classifier)
        channels = counts[layer]
        sections.append(
            (layer, [(c, obj.channel(layer, c, pre_activation=pre_activation)) for c in range(channels)])
        )
    if not sections or not any(targets for _, targets in sections):
        raise ValueError(
            f"An atlas needs classes or layers to visualize. Received: classes={classes!r}, layers={layers!r}"
        )
    return sections


def _chunks(sections, chunk_size):
    """`[(section, [(index, objective), ...]), ...]`: each section cut into chunks."""
    chunks = []
    for section, targets in sections:
        for start in range(0, len(targets), chunk_size):
            chunks.append((section, targets[start : start + chunk_size]))
    return chunks


def weights_digest(model):
    """A SHA-1 of a model's weights: an atlas resumes on the same model only."""
    digest = hashlib.sha1()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return digest.hexdigest()


def _settings(visualizer, sections, steps, chunk_size):
    source = visualizer.source
    return {
        "classifier": visualizer.classifier.name,
        "weights_sha1": weights_digest(visualizer.classifier),
        "image_shape": list(visualizer.image_shape),
        "generator": source.mode,
        "width": source.width,
        "seed": visualizer.seed,
        "steps": steps,
        "penalty": visualizer.penalty,
        "transforms": visualizer.transforms if isinstance(visualizer.transforms, str) else "custom",
        "chunk_size": chunk_size,
        "targets": [[section, [o.name for _, o in targets]] for section, targets in sections],
    }


def _read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _write_json(path, value):
    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(value, handle, indent=1)

    write_atomically(path, write)


def _check_same(folder, settings):
    """Write `atlas.json`, or check that the one there asked the same.

    Raises:
        ValueError: naming the first setting that differs.
    """
    path = os.path.join(folder, SETTINGS_FILE)
    if not os.path.exists(path):
        if os.listdir(folder):
            raise ValueError(
                f"An atlas is written into an empty folder or one that holds an atlas: {folder!r} "
                f"holds other files, which are left alone. Received: folder={folder!r}"
            )
        _write_json(path, settings)
        return
    before = _read_json(path)
    for key, value in settings.items():
        if before.get(key) != value:
            raise ValueError(
                f"{folder!r} holds an atlas made with another {key}: resume it with the same "
                f"settings, or write to another folder. Received: {key}={_short(value)}, "
                f"the atlas has {key}={_short(before.get(key))}"
            )


def _short(value):
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _chunk_path(folder, number):
    return os.path.join(folder, CHUNKS, f"{number:05d}.json")


def _file_name(section, index, label):
    return f"{section_folder(section)}/{index:04d}_{file_stem(label)}.png"


def section_folder(section):
    """The folder (and grid) name of a section: a layer's name, file-safe."""
    return file_stem(section)


def _run_chunk(visualizer, folder, number, section, targets, steps):
    result = visualizer.visualize([o for _, o in targets], steps=steps, verbose=0)
    entries = []
    for n, (index, objective) in enumerate(targets):
        name = _file_name(section, index, result.labels[n])
        picture = enlarged(to_pil(result.images[n]))
        path = os.path.join(folder, name)
        write_atomically(path, lambda temporary, picture=picture: picture.save(temporary, format="PNG"))
        target = result.target_classes[n]
        entries.append(
            {
                "section": section,
                "index": index,
                "name": objective.name,
                "label": result.labels[n],
                "file": name,
                "activation": float(result.activations[n]),
                "probability": None if target < 0 else float(result.probabilities[n, target]),
                "predicted": int(result.predicted_classes[n]),
            }
        )
    _write_json(_chunk_path(folder, number), entries)


def _grid(folder, entries, thumbnail):
    """A sheet of `thumbnail`-pixel tiles, each under one line: index and label."""
    columns = int(np.ceil(np.sqrt(len(entries))))
    rows = int(np.ceil(len(entries) / columns))
    line = 12
    sheet = Image.new("RGB", (columns * thumbnail, rows * (thumbnail + line)), "white")
    draw, font = ImageDraw.Draw(sheet), ImageFont.load_default()
    for n, entry in enumerate(entries):
        x, y = (n % columns) * thumbnail, (n // columns) * (thumbnail + line)
        with Image.open(os.path.join(folder, entry["file"])) as tile:
            sheet.paste(tile.convert("RGB").resize((thumbnail, thumbnail), Image.BILINEAR), (x, y))
        caption = str(entry["index"]) if entry["section"] != CLASSES else f"{entry['index']} {entry['label']}"
        draw.text((x + 2, y + thumbnail), fit_text(caption, thumbnail - 4, font), fill="black", font=font)
    return sheet


def _assemble(folder, chunk_count, sections, thumbnail):
    """Write the grids and `index.json` if every chunk is done; the index, else `None`."""
    paths = [_chunk_path(folder, n) for n in range(chunk_count)]
    if not all(os.path.exists(p) for p in paths):
        return None
    entries = [entry for p in paths for entry in _read_json(p)]
    for section, _ in sections:
        mine = [e for e in entries if e["section"] == section]
        sheet = _grid(folder, mine, thumbnail)
        write_atomically(
            os.path.join(folder, f"{section_folder(section)}.png"),
            lambda temporary, sheet=sheet: sheet.save(temporary, format="PNG"),
        )
    index = {"targets": entries, "grids": [f"{section_folder(s)}.png" for s, _ in sections]}
    _write_json(os.path.join(folder, INDEX_FILE), index)
    return index


def _duration(seconds):
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s"


def make_atlas(
    visualizer: FeatureVisualizer,
    folder: str | os.PathLike,
    classes: str | Sequence[int | str] | None = None,
    layers: Sequence[str] = (),
    steps: int | None = None,
    chunk_size: int | None = None,
    shard: tuple[int, int] | str | None = None,
    pre_activation: bool = False,
    thumbnail: int = defaults.ATLAS_THUMBNAIL,
    verbose: str | int = "auto",
) -> dict | None:
    """Visualize every class and every channel of `layers`, chunk by chunk, into `folder`.

    Each chunk's PNGs and its `chunks/<n>.json` are written as soon as it
    is done; run the same call again after a kill and it goes on from the
    first chunk without its JSON. In a multi-process JAX job
    (`keras.distribution.initialize`) each process takes every
    `count`-th chunk from its own index, on its own devices; `shard` does
    the same for jobs that know nothing of each other. See the module
    docstring for the folder's files.

    Args:
        visualizer: A `FeatureVisualizer` (its generator, seed, devices and
            settings are the atlas').
        folder: Path of the atlas folder, created if needed.
        classes: `"all"`, a list of class indices or names, or `None` for
            no classes. Defaults to `None`.
        layers: Names of layers every channel of which to visualize.
            Defaults to `()`.
        steps: Int > 0, steps per target; `None` for `visualize`'s
            default. Defaults to `None`.
        chunk_size: Int > 0, targets per chunk (what a resumed run may
            redo); `None` for the visualizer's `batch_size`. Defaults to
            `None`.
        shard: `(index, count)` or `"index/count"`: run only the chunks
            `n` with `n % count == index`. `None`: this process's share of
            a multi-process job (all chunks on one process). Defaults to
            `None`.
        pre_activation: Bool, read the layers before their activation.
            Defaults to `False`.
        thumbnail: Int, the side of each tile in the grids. Defaults to
            `defaults.ATLAS_THUMBNAIL` (64).
        verbose: 0, or 1 and 2 (a line per chunk with the time left), or
            `"auto"`. Defaults to `"auto"`.

    Returns:
        The index (`{"targets": [...], "grids": [...]}`, also in
        `index.json`) once every chunk is done, or `None` while other
        shards are still running.

    Example:

    ```python
    visualizer = keras_featviz.FeatureVisualizer(model, devices="all")
    make_atlas(visualizer, "vgg16-atlas", classes="all", layers=["block5_conv3"])
    ```

    Raises:
        ValueError: for no targets, a bad layer, class, steps, chunk size or
            shard, a folder that holds an atlas of other settings, or other
            files and no atlas, before any optimisation.
    """
    verbose = verbosity(verbose)
    thumbnail = positive_int(thumbnail, "thumbnail")
    if steps is not None:
        steps = positive_int(steps, "steps")
    chunk_size = positive_int(visualizer.batch_size if chunk_size is None else chunk_size, "chunk_size")
    index, count = devices.process_share() if shard is None else shard_spec(shard)
    folder = os.fspath(folder)
    sections = _sections(visualizer, classes, layers, pre_activation)
    chunks = _chunks(sections, chunk_size)
    if sections[0][0] == CLASSES:  # a bad class fails now, not chunks later
        visualizer.prepare([o for _, o in sections[0][1][:chunk_size]])
    os.makedirs(folder, exist_ok=True)
    _check_same(folder, _settings(visualizer, sections, steps, chunk_size))
    mine = [n for n in range(len(chunks)) if n % count == index]
    todo = [n for n in mine if not os.path.exists(_chunk_path(folder, n))]
    total = sum(len(t) for _, t in chunks)
    if verbose:
        print(
            f"Atlas of {total} targets in {len(chunks)} chunks: this {'shard' if count > 1 else 'run'} "
            f"has {len(mine)}, {len(mine) - len(todo)} done before."
        )
    began, done_targets = time.perf_counter(), 0
    left_targets = sum(len(chunks[n][1]) for n in todo)
    for step, number in enumerate(todo, 1):
        section, targets = chunks[number]
        if step > 1 and section != chunks[todo[step - 2]][0]:
            visualizer.release()  # the last layer's classifier copy and models: memory stays flat
        _run_chunk(visualizer, folder, number, section, targets, steps)
        done_targets += len(targets)
        if verbose:
            elapsed = time.perf_counter() - began
            left = elapsed / done_targets * (left_targets - done_targets)
            print(
                f"Chunk {step}/{len(todo)} ({section}, {len(targets)} targets): "
                f"{elapsed / done_targets:.2f} s a target, about {_duration(left)} left",
                flush=True,
            )
    result = _assemble(folder, len(chunks), sections, thumbnail)
    if verbose:
        print(
            f"Wrote the grids and {INDEX_FILE} in {folder}"
            if result is not None
            else "Other shards are still running; the last to finish writes the grids and index."
        )
    return result
