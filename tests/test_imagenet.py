"""ImageNet class names ship with the package and name 1,000-class models."""

import keras

import keras_featviz
from keras_featviz.io import imagenet


def test_the_thousand_names_in_keras_order():
    names = imagenet.class_names()
    assert len(names) == 1000
    assert names[:3] == ("tench", "goldfish", "great white shark")
    assert names[281] == "tabby" and names[999] == "toilet tissue"
    assert imagenet.names_for(10) is None


def test_a_thousand_class_model_gets_imagenet_labels_and_file_names(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(1000)])
    result = keras_featviz.FeatureVisualizer(model, "pixels").visualize([281, 0], steps=1, verbose=0)
    assert result.labels == ["tabby", "tench"]
    result.save(tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["000_tench.png", "281_tabby.png", "grid.png"]
