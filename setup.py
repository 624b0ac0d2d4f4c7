"""keras-gans: a GAN model zoo for TensorFlow / Keras 3."""

import os
import pathlib
import subprocess
import sys

from setuptools import setup

HERE = pathlib.Path(__file__).parent

# TensorFlow is published under several names that all provide `tensorflow`:
# keep whichever the user has (installing `tensorflow` over `tensorflow-cpu`
# would clobber it). On a fresh machine, install `tensorflow`, or the package
# named by KERAS_GANS_TF (e.g. KERAS_GANS_TF=tensorflow-cpu).
TF_DISTRIBUTIONS = ("tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-macos",
                    "tensorflow-intel", "tf-nightly", "tf-nightly-cpu")
TF_MIN = ">=2.16"


def installed_tensorflow():
    """Name of the TensorFlow distribution in the target environment, or None.

    pip builds in an isolated environment (PYTHONPATH points at it), so ask the
    same interpreter without that isolation."""
    code = ("import importlib.metadata as m\n"
            f"for n in {TF_DISTRIBUTIONS!r}:\n"
            "    try:\n        m.version(n); print(n); break\n"
            "    except m.PackageNotFoundError: pass\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONNOUSERSITE")}
    try:
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    return out or None


def tensorflow_requirement():
    wanted = os.environ.get("KERAS_GANS_TF")
    if wanted:
        return [] if wanted == "none" else [wanted + ("" if any(c in wanted for c in "<>=") else TF_MIN)]
    return [(installed_tensorflow() or "tensorflow") + TF_MIN]


setup(
    name="keras-gans",
    version="0.1.0",
    description="A GAN model zoo for TensorFlow / Keras 3: train with model.fit() or one command.",
    long_description=(HERE / "README.md").read_text() if (HERE / "README.md").exists() else "",
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=["keras_gans", "keras_gans.cli", "keras_gans.core", "keras_gans.data",
              "keras_gans.evaluation", "keras_gans.models", "keras_gans.nets",
              "keras_gans.training", "keras_gans.zoo"],
    package_dir={"keras_gans.zoo": "zoo"},
    package_data={"keras_gans": ["datasets/*.npz", "datasets/*.md"], "keras_gans.zoo": ["*.toml"]},
    install_requires=tensorflow_requirement() + [
        "keras>=3.3",
        "tensorflow-datasets>=4.9",
        "importlib_resources",   # tensorflow-datasets needs it to download
        "tensorboard",           # TF 2.21 no longer pulls it in
        "numpy",
        "click>=8",
        "matplotlib>=3.5",       # the toy scatters over D, D vs D*, coverage bar charts
        "keras-tuner>=1.4",      # `keras-gans study`: trials, resume and the distributed oracle
    ],
    extras_require={
        "test": ["pytest", "pytest-xdist", "scikit-learn", "scikit-image"],
        # unpaired.make_photo_domains cuts its offline CycleGAN domains from the
        # photos scikit-learn ships, and SRGAN's offline data ("photos") are the
        # photos scikit-image ships; optional, as only those need them.
        "photos": ["scikit-learn", "scikit-image"],
        # Converting the FID Inception weights once (and its comparison test).
        "fid": ["torch"],
    },
    entry_points={"console_scripts": ["keras-gans=keras_gans.cli:main"]},
)
