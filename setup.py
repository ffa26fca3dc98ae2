"""keras-featviz: what a Keras image classifier has learnt, in pictures."""

from setuptools import find_packages, setup

setup(
    name="keras-featviz",
    version="0.1.0",
    description=(
        "Feature visualization for Keras 3 classifiers with generator priors "
        "(Despraz et al.) and TensorBoard training callbacks"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["keras_featviz", "keras_featviz.*"]),
    install_requires=[
        "keras>=3.3",
        "tensorflow>=2.16",
        # TensorFlow's wheel does not pull in TensorBoard: the callbacks
        # write its event files and users run its server.
        "tensorboard>=2.16",
        "numpy>=1.23",
        "pillow>=9",
    ],
    extras_require={"test": ["pytest>=7"]},
    entry_points={"console_scripts": ["keras-featviz=keras_featviz.cli:main"]},
)
