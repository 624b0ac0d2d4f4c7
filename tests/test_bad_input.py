"""Bad input, tried as a new user would: every case stops with a non-zero exit and
one line naming the problem, with no traceback, and leaves an existing run
directory, its export and every input exactly as they were (same files, bytes
and mtimes).

One tiny DCGAN run is trained once for the module; most CLI cases aim at it
(`--out RUN`, `sample RUN`, ...) so that damage would show."""

import hashlib
import json
import os
import pathlib
import shutil
import sys
import warnings

import numpy as np
import pytest
import tensorflow as tf
from click.testing import CliRunner

from keras_gans import cli, data
from keras_gans.training import distribute, recipes, train
from keras_gans.core import latent
from keras_gans.data import unpaired
from keras_gans.data import DataError

from conftest import one_error_line

TINY = ["--g-filters", "4", "--d-filters", "4", "--latent-dim", "8", "--batch-size", "32",
        "--seed", "0", "--precision", "float32", "--no-tensorboard"]
MODEL_FLAGS = ("--g-filters", "--d-filters", "--latent-dim", "--batch-size")
GOOD_TF_CONFIG = {"cluster": {"worker": ["127.0.0.1:12345", "127.0.0.1:12346"]},
                  "task": {"type": "worker", "index": 0}}


def png(value, size=28, channels=1):
    return tf.io.encode_png(np.full((size, size, channels), value, np.uint8)).numpy()


def write_inputs(root, run):
    """The bad (and a few good) inputs the cases use, by name."""
    p = {"run": run, "export": run / "export"}
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    (root / "notes.txt").write_text("not data\n")
    p["text"] = root / "notes.txt"
    (root / "garbage.npz").write_bytes(os.urandom(300))
    p["garbage_npz"] = root / "garbage.npz"
    arrays = {
        "noimages": {"pictures": digits},
        "wrongshape": {"x": digits.reshape(40, -1)},
        "mismatch": {"x": digits, "y": np.arange(39) % 10},
        "neglabels": {"x": digits, "y": np.arange(40) % 10 - 1},
        "strlabels": {"x": digits, "y": np.array(["cat", "dog"] * 20)},
        "fraclabels": {"x": digits, "y": np.arange(40) / 3},
        "nan": {"x": np.full((40, 28, 28), np.nan, np.float32)},
        "inf": {"x": np.where(digits > 250, np.inf, digits / 255.0)},
        "range": {"x": digits.astype(np.float32) * 4.0},
        "empty": {"x": np.zeros((0, 28, 28), np.uint8)},
        "small": {"x": digits[:10]},
        "unlabelled": {"x": digits},
        "hugelabels": {"x": digits, "y": np.r_[np.zeros(39, int), 10 ** 9]},
    }
    for name, content in arrays.items():
        np.savez(root / f"{name}.npz", **content)
        p[name] = root / f"{name}.npz"
    np.save(root / "plain.npy", digits)
    shutil.move(root / "plain.npy", root / "plain.npz")  # an .npy under an .npz name
    p["plain"] = root / "plain.npz"

    corrupt = root / "corrupt"
    corrupt.mkdir()
    (corrupt / "x.png").write_bytes(os.urandom(500))
    p["corrupt"] = corrupt
    truncated = root / "truncated"
    truncated.mkdir()
    (truncated / "cut.png").write_bytes(png(9)[:40])  # a PNG signature, then nothing
    p["truncated"] = truncated
    (root / "empty").mkdir()
    p["empty_dir"] = root / "empty"
    for name, domains in (("corrupt_unpaired", {"trainA": "bad", "trainB": "good"}),
                          ("half_unpaired", {"trainA": "good"})):
        for domain, kind in domains.items():
            (root / name / domain).mkdir(parents=True)
            (root / name / domain / "a.png").write_bytes(
                png(7, 32, 3) if kind == "good" else os.urandom(400))
        p[name] = root / name

    (root / "notrun").mkdir()
    (root / "notrun" / "readme.txt").write_text("just a folder\n")
    p["notrun"] = root / "notrun"
    (root / "nockpt").mkdir()
    shutil.copy(run / "recipe.json", root / "nockpt" / "recipe.json")
    p["nockpt"] = root / "nockpt"
    (root / "badjson").mkdir()
    (root / "badjson" / "recipe.json").write_text("{oops")
    p["badjson"] = root / "badjson"
    shutil.copytree(run, root / "damaged_run")  # checkpoints, but recipe.json broken
    (root / "damaged_run" / "recipe.json").write_text('{"recipe": ')
    p["damaged_run"] = root / "damaged_run"
    (root / "foreignjson").mkdir()
    (root / "foreignjson" / "recipe.json").write_text('{"model": "mine"}')
    p["foreignjson"] = root / "foreignjson"
    (root / "images").mkdir()
    (root / "images" / "a.png").write_bytes(png(100))
    p["images"] = root / "images"

    tomls = {
        "syntax": 'model = "DCGAN"\n[train\nbatch_size = 3\n',
        "unknown_key": 'model = "DCGAN"\nlearning_rate = 0.1\n',
        "unknown_hparam": 'model = "DCGAN"\n[hparams]\nfilters = 3\n',
        "no_model": 'data = "mnist5k"\n',
        "bad_train_value": 'model = "DCGAN"\n[train]\nepochs = 0\n',
    }
    for name, text in tomls.items():
        (root / f"{name}.toml").write_text(text)
        p[f"{name}_toml"] = root / f"{name}.toml"
    return p


def snapshot(folder):
    """{relative path: (size, mtime_ns, sha256)} of every file under `folder`."""
    out = {}
    for f in sorted(pathlib.Path(folder).rglob("*")):
        if f.is_file():
            st = f.stat()
            out[str(f.relative_to(folder))] = (st.st_size, st.st_mtime_ns,
                                               hashlib.sha256(f.read_bytes()).hexdigest())
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input")
    run = root / "run"
    result = CliRunner().invoke(cli.main, ["train", "dcgan", "--steps", "2", "--steps-per-epoch",
                                           "2", "--out", str(run), *TINY],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (run / "export" / "saved_model.pb").exists()
    paths = write_inputs(root, run)
    return paths, snapshot(root)  # the run, its export and every input


# (case id, args with {name} for the paths above, env or None, words the one
# error line must hold)
CLI_CASES = [
    ("no-such-data", ["train", "dcgan", "--data", "{root}/nowhere/digits.npz", "--out", "{run}"],
     None, ["No such folder or .npz file", "nowhere/digits.npz"]),
    ("text-file-as-data", ["train", "dcgan", "--data", "{text}", "--out", "{run}"], None,
     ["notes.txt", "is a file but not an .npz"]),
    ("garbage-npz", ["train", "dcgan", "--data", "{garbage_npz}", "--out", "{run}"], None,
     ["Cannot read", "garbage.npz", "numpy.savez"]),
    ("npy-named-npz", ["train", "dcgan", "--data", "{plain}", "--out", "{run}"], None,
     ["plain.npz", "single array", "numpy.savez"]),
    ("npz-without-images", ["train", "dcgan", "--data", "{noimages}", "--out", "{run}"], None,
     ["noimages.npz has no images", "pictures"]),
    ("npz-wrong-shape", ["train", "dcgan", "--data", "{wrongshape}", "--out", "{run}"], None,
     ["wrongshape.npz", "got shape (40, 784)"]),
    ("npz-no-rows", ["train", "dcgan", "--data", "{empty}", "--out", "{run}"], None,
     ["empty.npz", "holds no images"]),
    ("label-count-mismatch", ["train", "dcgan", "--data", "{mismatch}", "--out", "{run}"], None,
     ["mismatch.npz", "40 images but 39 labels"]),
    ("negative-labels", ["train", "dcgan", "--data", "{neglabels}", "--out", "{run}"], None,
     ["neglabels.npz", "labels must be integers from 0, found -1"]),
    ("string-labels", ["train", "dcgan", "--data", "{strlabels}", "--out", "{run}"], None,
     ["strlabels.npz", "integer class indices"]),
    ("fractional-labels", ["train", "dcgan", "--data", "{fraclabels}", "--out", "{run}"], None,
     ["fraclabels.npz", "whole numbers"]),
    ("huge-label", ["train", "cgan", "--data", "{hugelabels}", "--out", "{run}"], None,
     ["hugelabels.npz", "labels go up to 1000000000", "number the classes"]),
    ("empty-data-name", ["train", "dcgan", "--data", "", "--out", "{run}"], None,
     ["data name is empty"]),
    ("nan-images", ["train", "dcgan", "--data", "{nan}", "--out", "{run}"], None,
     ["nan.npz", "NaN or infinite"]),
    ("inf-images", ["train", "dcgan", "--data", "{inf}", "--out", "{run}"], None,
     ["inf.npz", "NaN or infinite"]),
    ("out-of-range-images", ["train", "dcgan", "--data", "{range}", "--out", "{run}"], None,
     ["range.npz", "run from 0 to 1020", "rescale"]),
    ("corrupt-image-folder", ["train", "dcgan", "--data", "{corrupt}", "--out", "{run}"], None,
     ["corrupt/x.png", "can be read"]),
    ("truncated-image-folder", ["train", "dcgan", "--data", "{truncated}", "--out", "{run}"], None,
     ["truncated/cut.png", "can be read"]),
    ("corrupt-unpaired-folder", ["train", "cyclegan", "--data", "{corrupt_unpaired}",
                                 "--image-size", "32", "--batch-size", "1", "--out", "{run}"],
     None, ["corrupt_unpaired/trainA/a.png", "can be read"]),
    ("unpaired-without-trainB", ["train", "cyclegan", "--data", "{half_unpaired}",
                                 "--image-size", "32", "--batch-size", "1", "--out", "{run}"],
     None, ["half_unpaired", "trainB/"]),
    ("empty-folder", ["train", "dcgan", "--data", "{empty_dir}", "--out", "{run}"], None,
     ["No images", "empty"]),
    ("conditional-on-unlabelled", ["train", "cgan", "--data", "{unlabelled}", "--out", "{run}"],
     None, ["unlabelled.npz has no labels"]),
    ("batch-bigger-than-data", ["train", "dcgan", "--data", "{small}", "--out", "{run}"], None,
     ["small.npz has 10 images, fewer than one batch of 32", "--batch-size"]),
    ("unknown-entry", ["train", "dcgann", "--out", "{run}"], None,
     ["Unknown zoo entry 'dcgann'", "dcgan"]),
    ("unknown-option", ["train", "dcgan", "--learning-rate", "0.1", "--out", "{run}"], None,
     ["Unknown option 'learning_rate'", "g_lr"]),
    ("set-without-equals", ["train", "dcgan", "--set", "latent_dim", "--out", "{run}"], None,
     ["--set wants KEY=VALUE", "latent_dim"]),
    ("zero-latent-dim", ["train", "dcgan", "--latent-dim", "0", "--out", "{run}"], None,
     ["latent_dim must be at least 1, got 0"]),
    ("penalty-with-batch-norm", ["train", "dcgan", "--penalty", "gp", "--out", "{run}"], None,
     ["penalty=gp", "batch norm", "norm=layer or norm=none"]),
    ("unknown-penalty", ["train", "wgan_gp", "--penalty", "wgan", "--out", "{run}"], None,
     ["Unknown penalty 'wgan'", "dragan, gp, r1"]),
    ("unknown-norm", ["train", "dcgan", "--norm", "group", "--out", "{run}"], None,
     ["norm is the discriminator's normalisation", "batch, layer, none"]),
    ("unknown-loss", ["train", "dcgan", "--loss", "wgan", "--out", "{run}"], None,
     ["Unknown adversarial loss 'wgan'", "wasserstein"]),
    ("empty-out", ["train", "dcgan", "--out", ""], None, ["--out is empty"]),
    ("set-bad-number", ["train", "dcgan", "--set", "d_lr=fast", "--out", "{run}"], None,
     ["Option d_lr", "'fast' is not a valid float"]),
    ("zero-samples", ["train", "dcgan", "--samples", "0", "--out", "{run}"], None,
     ["Option samples", "whole number >= 1"]),
    ("negative-learning-rate", ["train", "dcgan", "--g-lr", "-0.001", "--out", "{run}"], None,
     ["Option g_lr", "a number > 0"]),
    ("bad-image-size", ["train", "dcgan", "--image-size", "32,x", "--out", "{run}"], None,
     ["Option image_size", "height,width"]),
    ("bad-channels", ["train", "dcgan", "--channels", "2", "--out", "{run}"], None,
     ["Option channels", "1 or 3"]),
    ("zero-epochs", ["train", "dcgan", "--epochs", "0", "--out", "{run}"], None,
     ["Invalid value for '--epochs'", "0"]),
    ("word-batch-size", ["train", "dcgan", "--batch-size", "many", "--out", "{run}"], None,
     ["Invalid value for '--batch-size'", "many"]),
    ("epochs-and-steps", ["train", "dcgan", "--epochs", "2", "--steps", "3", "--out", "{run}"],
     None, ["Give --epochs or --steps, not both"]),
    ("unknown-precision", ["train", "dcgan", "--precision", "float8", "--out", "{run}"], None,
     ["Invalid value for '--precision'", "float8"]),
    ("restart-with-bad-data", ["train", "dcgan", "--restart", "--data", "{nan}", "--out",
                               "{run}"], None, ["nan.npz", "NaN or infinite"]),
    ("resume-with-damaged-recipe-json", ["train", "dcgan", "--out", "{damaged_run}"], None,
     ["damaged_run/recipe.json is damaged"]),
    ("resume-with-changed-options", ["train", "dcgan", "--out", "{run}", "--g-filters", "8"],
     None, ["holds a run with other settings", "g_filters: 4 then, 8 now"]),
    ("toml-syntax-error", ["train", "{syntax_toml}", "--out", "{run}"], None,
     ["syntax.toml", "not valid TOML"]),
    ("toml-unknown-key", ["train", "{unknown_key_toml}", "--out", "{run}"], None,
     ["unknown_key.toml", "unknown key(s) learning_rate"]),
    ("toml-unknown-hparam", ["train", "{unknown_hparam_toml}", "--out", "{run}"], None,
     ["unknown_hparam.toml", "unknown [hparams] key(s) filters"]),
    ("toml-without-model", ["train", "{no_model_toml}", "--out", "{run}"], None,
     ["no_model.toml", "needs model ="]),
    ("toml-zero-epochs", ["train", "{bad_train_value_toml}", "--out", "{run}"], None,
     ["bad_train_value.toml", "Option epochs"]),
    ("tf-config-not-json", ["train", "dcgan", "--strategy", "multiworker", "--out", "{run}"],
     {"TF_CONFIG": "{not json"}, ["TF_CONFIG is not valid JSON", '"cluster"']),
    ("tf-config-index-outside-cluster", ["train", "dcgan", "--strategy", "multiworker", "--out",
                                         "{run}"],
     {"TF_CONFIG": json.dumps({**GOOD_TF_CONFIG, "task": {"type": "worker", "index": 5}})},
     ["TF_CONFIG has task index 5", "only 2 address(es)"]),
    ("tf-config-not-an-object", ["train", "dcgan", "--out", "{run}"], {"TF_CONFIG": "[1, 2]"},
     ["TF_CONFIG must be a JSON object"]),
    ("multiworker-without-tf-config", ["train", "dcgan", "--strategy", "multiworker", "--out",
                                       "{run}"], {"TF_CONFIG": ""}, ["needs TF_CONFIG"]),
    ("sample-non-run-folder", ["sample", "{notrun}", "-o", "s.png"], None,
     ["notrun is not a keras-gans run directory"]),
    ("export-non-run-folder", ["export", "{notrun}"], None,
     ["notrun is not a keras-gans run directory"]),
    ("evaluate-non-run-folder", ["evaluate", "{notrun}"], None,
     ["notrun is not a keras-gans run directory"]),
    ("sample-run-without-checkpoint", ["sample", "{nockpt}", "-o", "s.png"], None,
     ["nockpt has no checkpoint yet"]),
    ("export-run-without-checkpoint", ["export", "{nockpt}"], None,
     ["nockpt has no checkpoint yet"]),
    ("damaged-recipe-json", ["sample", "{badjson}", "-o", "s.png"], None,
     ["badjson/recipe.json is damaged", "JSONDecodeError"]),
    ("foreign-recipe-json", ["export", "{foreignjson}"], None,
     ["foreignjson/recipe.json is damaged", "KeyError"]),
    ("sample-zero-images", ["sample", "{run}", "-n", "0", "-o", "s.png"], None,
     ["Invalid value for '-n'"]),
    ("sample-label-unconditional", ["sample", "{run}", "--label", "3", "-o", "s.png"], None,
     ["not class-conditional", "drop --label"]),
    ("translate-non-translation-export", ["translate", "{run}", "{images}", "-o",
                                          "translated"], None,
     ["no 'a2b' endpoint", "DCGAN"]),
    ("evaluate-unknown-metric", ["evaluate", "{run}", "--metrics", "fid,bogus"], None,
     ["Unknown metric(s) bogus", "fid"]),
    ("evaluate-nan-data", ["evaluate", "{run}", "--metrics", "parzen", "--data", "{nan}",
                           "-n", "10", "-o", "e.json"], None,
     ["nan.npz", "NaN or infinite"]),
    ("interpolate-huge-index", ["interpolate", "{run}", "--end", "99999999999", "-o",
                                "i.png"], None,
     ["Image number 99999999999 is out of reach"]),
    ("export-over-a-file", ["export", "{run}", "-o", "{run}/recipe.json"], None,
     ["Invalid value for '-o'", "is a file"]),
]


def with_tiny(argv):
    """`train` arguments plus TINY's options that `argv` does not set (model
    sizes only for the entries the run was trained with, not CycleGAN)."""
    out = list(argv)
    pairs = [TINY[i:i + 2] for i in range(0, len(TINY) - 1, 2)] + [TINY[-1:]]
    for pair in pairs:
        if pair[0] in out or ("cyclegan" in argv and pair[0] in MODEL_FLAGS):
            continue
        out += pair
    return out


@pytest.mark.parametrize("args, env, words", [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_is_one_line_and_loses_nothing(world, tmp_path, monkeypatch, args, env,
                                                     words):
    paths, before = world
    monkeypatch.chdir(tmp_path)  # anything written to the working folder lands here
    names = {k: str(v) for k, v in paths.items()}
    names["root"] = str(paths["run"].parent)
    argv = [a.format(**names) for a in args]
    if argv[0] == "train":
        argv = with_tiny(argv)
    env = {"TF_CONFIG": None, "KERAS_GANS_DEBUG": None, **(env or {})}  # None: unset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.DataWarning)
        result = CliRunner().invoke(cli.main, argv, env=env)
    # A clean exit through click, never an exception escaping the command.
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}")
    one_error_line(result, *words)
    assert snapshot(paths["run"].parent) == before, "the bad command changed a run or input"
    assert not any(tmp_path.iterdir()), "the bad command wrote into the working folder"


# ------------------------------------------------------------- Python API
def api_cases():
    return [
        ("load-nan-npz", lambda p: data.load(str(p["nan"])), DataError,
         ["nan.npz", "NaN or infinite"]),
        ("load-out-of-range", lambda p: data.load(str(p["range"])), DataError,
         ["range.npz", "outside [0, 255], [0, 1] and [-1, 1]"]),
        ("load-corrupt-folder", lambda p: data.load(str(p["corrupt"])), DataError,
         ["x.png", "PNG, JPEG, GIF or BMP"]),
        ("load-arrays-corrupt-folder", lambda p: data.load_arrays(str(p["corrupt"])), DataError,
         ["x.png"]),
        ("load-string-labels", lambda p: data.load(str(p["strlabels"])), DataError,
         ["strlabels.npz", "integer class indices"]),
        ("load-needs-labels", lambda p: data.load(str(p["unlabelled"]), batch_size=8,
                                                         labels=True), DataError,
         ["has no labels"]),
        ("unpaired-corrupt", lambda p: unpaired.load_unpaired(str(p["corrupt_unpaired"]),
                                                              image_size=32), DataError,
         ["trainA/a.png", "can be read"]),
        ("unpaired-domain-arrays-corrupt",
         lambda p: unpaired.domain_arrays(str(p["corrupt_unpaired"]), 32), DataError,
         ["trainA/a.png"]),
        ("unpaired-file", lambda p: unpaired.load_unpaired(str(p["text"])), DataError,
         ["notes.txt is a file"]),
        ("recipe-unknown-entry", lambda p: recipes.load("biggan"), recipes.RecipeError,
         ["Unknown zoo entry 'biggan'"]),
        ("recipe-unknown-key", lambda p: recipes.from_mapping({"model": "DCGAN", "lr": 1}),
         recipes.RecipeError, ["unknown key(s) lr"]),
        ("recipe-bad-override", lambda p: recipes.load("dcgan").override({"batch_size": 0}),
         recipes.RecipeError, ["Option batch_size", "whole number >= 1"]),
        ("run-info-damaged", lambda p: train.RunInfo.load(p["badjson"]), ValueError,
         ["recipe.json is damaged"]),
        ("latents-huge-index", lambda p: latent.latents_for(0, [10 ** 12], 8), ValueError,
         ["out of reach"]),
    ]


@pytest.mark.parametrize("call, error, words", [c[1:] for c in api_cases()],
                         ids=[c[0] for c in api_cases()])
def test_python_api_bad_input_raises_a_one_line_library_error(world, call, error, words):
    paths, before = world
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.DataWarning)
        with pytest.raises(error) as info:
            call(paths)
    assert not isinstance(info.value, tf.errors.OpError)
    message = str(info.value)
    assert "\n" not in message.strip() and message.strip(), message
    for word in words:
        assert word in message, message
    assert snapshot(paths["run"].parent) == before


@pytest.mark.parametrize("config, problem", [
    ("{not json", "is not valid JSON"),
    ('"worker"', "must be a JSON object, not str"),
    ('{"cluster": {"worker": "127.0.0.1:1"}, "task": {"type": "worker", "index": 0}}',
     "not a list of \"host:port\" strings"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "chief", "index": 0}}',
     "task type 'chief', which is not a job of its cluster"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": "0"}}',
     "not a whole number from 0"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}}', "lacks task"),
])
def test_malformed_tf_config_names_tf_config(monkeypatch, config, problem):
    monkeypatch.setenv("TF_CONFIG", config)
    with pytest.raises(ValueError) as info:
        distribute.make("multiworker")
    message = str(info.value)
    assert message.startswith("TF_CONFIG ") and problem in message and "\n" not in message
    assert '"cluster"' in message  # ... and shows the expected form


@pytest.mark.parametrize("config, chief", [
    (GOOD_TF_CONFIG, True),
    ({**GOOD_TF_CONFIG, "task": {"type": "worker", "index": 1}}, False),
    ({"cluster": {"chief": ["h:1"], "worker": ["h:2"]}, "task": {"type": "worker", "index": 0}},
     False),
    ({"cluster": {"chief": ["h:1"], "worker": ["h:2"]}, "task": {"type": "chief", "index": 0}},
     True),
    ({"cluster": {"worker": {"0": "h:1", "3": "h:2"}}, "task": {"type": "worker", "index": 0}},
     True),  # TensorFlow's sparse form
])
def test_valid_tf_config_still_picks_the_chief(monkeypatch, config, chief):
    monkeypatch.setenv("TF_CONFIG", json.dumps(config))
    assert distribute.is_chief() is chief


# -------------------------------------------- unreadable files next to good ones
def image_folder(root, good, bad):
    root.mkdir(parents=True)
    for i in range(good):
        (root / f"g{i:02d}.png").write_bytes(png(10 * i))
    for name, content in bad.items():
        (root / name).write_bytes(content)
    return root


def test_unreadable_images_are_skipped_with_a_warning_naming_them(tmp_path):
    folder = image_folder(tmp_path / "mixed", 6, {"noise.png": os.urandom(300),
                                                  "cut.png": png(200)[:40]})
    with pytest.warns(data.DataWarning) as caught:
        loaded = data.load(str(folder), batch_size=2, shuffle=False)
    message = str(caught[0].message)
    assert "skipping 2 unreadable image file(s) of 8" in message
    assert "noise.png" in message and "cut.png" in message
    assert loaded.num_examples == 6
    images = np.concatenate(list(loaded.dataset.as_numpy_iterator()))
    means = sorted(np.round((images.mean(axis=(1, 2, 3)) + 1) * 127.5).astype(int))
    assert means == [10 * i for i in range(6)]  # exactly the good files, each once


def test_the_cli_shows_the_skip_warning_as_one_line(tmp_path):
    folder = image_folder(tmp_path / "mixed", 25, {"noise.png": os.urandom(300)})
    result = CliRunner().invoke(cli.main, ["train", "dcgan", "--data", str(folder), "--steps", "1",
                                           "--out", str(tmp_path / "run"), *TINY,
                                           "--batch-size", "8"])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "unreadable" in line]
    assert len(warned) == 1 and warned[0].startswith("Warning: ") and "noise.png" in warned[0]
    assert "warnings.warn" not in result.output and "DataWarning" not in result.output


def test_labelled_folder_keeps_each_good_image_with_its_own_label(tmp_path):
    root = tmp_path / "classes"
    image_folder(root / "a", 2, {})
    image_folder(root / "b", 2, {"bad.png": os.urandom(100)})
    (root / "b" / "g00.png").write_bytes(png(250))
    (root / "b" / "g01.png").write_bytes(png(240))
    with pytest.warns(data.DataWarning, match="bad.png"):
        loaded = data.load(str(root), batch_size=1, shuffle=False)
    pairs = sorted((int(y[0]), int(round((x.mean() + 1) * 127.5)))
                   for x, y in loaded.dataset.as_numpy_iterator())
    assert pairs == [(0, 0), (0, 10), (1, 240), (1, 250)]


def test_large_folders_check_signatures_and_drop_damaged_bodies_in_the_pipeline(tmp_path,
                                                                                monkeypatch):
    """Beyond DECODE_CHECK_LIMIT files there is no decode pass: random bytes are
    still caught by their signature, and a PNG cut short is dropped while
    iterating instead of stopping training."""
    monkeypatch.setattr(data.folders, "DECODE_CHECK_LIMIT", 3)
    folder = image_folder(tmp_path / "large", 5, {"noise.png": os.urandom(300),
                                                  "z_cut.png": png(200)[:40]})
    with pytest.warns(data.DataWarning) as caught:
        loaded = data.load(str(folder), batch_size=1, shuffle=False)
    assert "skipping 1 unreadable" in str(caught[0].message)
    assert "noise.png" in str(caught[0].message)
    # z_cut.png starts with a PNG signature: not caught up front ...
    assert len(caught) == 1 and loaded.num_examples == 6
    assert sum(1 for _ in loaded.dataset) == 5  # ... but dropped, not a traceback


def test_unpaired_domains_skip_unreadable_images_once(tmp_path):
    root = tmp_path / "domains"
    for d in ("trainA", "trainB"):
        (root / d).mkdir(parents=True)
        for i in range(3):
            (root / d / f"{i}.png").write_bytes(png(50 * i, 32, 3))
    (root / "trainB" / "zz.png").write_bytes(os.urandom(64))
    with pytest.warns(data.DataWarning) as caught:
        loaded = unpaired.load_unpaired(str(root), image_size=32, batch_size=1, seed=0)
        a, b = loaded.fixed(3)
        batches = list(loaded.dataset.as_numpy_iterator())
    assert [str(w.message) for w in caught if "zz.png" in str(w.message)] and len(caught) == 1
    assert loaded.domain_sizes == (3, 3) and len(batches) == 3 and b.shape == (3, 32, 32, 3)


@pytest.mark.parametrize("x, expected", [
    (np.linspace(0, 1, 2 * 28 * 28).reshape(2, 28, 28), (0, 255)),      # [0, 1]
    (np.linspace(-1, 1, 2 * 28 * 28).reshape(2, 28, 28), (0, 255)),     # [-1, 1]
    (np.linspace(0, 255, 2 * 28 * 28).reshape(2, 28, 28), (0, 255)),    # [0, 255] floats
    (np.full((2, 28, 28), 7, np.int64), (7, 7)),                        # integer 0..255
])
def test_npz_value_ranges_that_are_accepted(tmp_path, x, expected):
    np.savez(tmp_path / "ok.npz", x=x)
    images, labels, _ = data._npz(tmp_path / "ok.npz")
    assert images.dtype == np.uint8 and (int(images.min()), int(images.max())) == expected


def test_photo_domains_without_scikit_learn_say_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn -> ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError) as info:
        unpaired.make_photo_domains(tmp_path / "photos")
    assert "pip install scikit-learn" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "photos").exists()
