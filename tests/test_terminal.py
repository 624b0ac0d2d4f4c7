"""What the terminal shows: commands that need no TensorFlow never import it,
TensorFlow's own start-up logging stays hidden unless asked for, recipes are
checked from the sources, and `--precision auto` can be steered either way."""

import os
import subprocess
import sys
import textwrap

import pytest

from keras_gans import models
from keras_gans.training import precision


def _python(code, env=None, **kwargs):
    env = {**{k: v for k, v in os.environ.items() if k != "KERAS_GANS_VERBOSE"}, **(env or {})}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, env=env, **kwargs)


@pytest.mark.parametrize("args", [
    ["--help"], ["zoo"], ["train", "--help"], ["evaluate", "--help"], ["train", "biggan"],
    ["train", "dcgan", "--bogus", "1"], ["train", "dcgan", "--epochs", "0"],
    ["train", "dcgan", "--set", "latent_dim"], ["sample"], ["no-such-command"],
])
def test_commands_that_need_no_tensorflow_do_not_import_it(args):
    proc = _python(f"""
        import sys
        from keras_gans import cli
        try:
            cli.main({args!r})
        except SystemExit as e:
            code = e.code
        print("CODE", code, "TF", "tensorflow" in sys.modules)
    """)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.endswith("TF False"), (last, proc.stderr)


FAKE_TF = """
import os
os.write(2, b"I0000 port.cc:153] oneDNN custom operations are on\\n")
if os.environ.get("FAKE_TF_BROKEN"):
    raise ImportError("libfoo.so: cannot open shared object file")
class config:
    @staticmethod
    def list_physical_devices(kind):
        os.write(2, b"E0000 failed call to cuInit: CUDA error\\n")
        return []
"""


@pytest.fixture
def fake_tensorflow(tmp_path):
    """A stand-in `tensorflow` that logs from 'C++' (straight to fd 2) as it loads."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text(FAKE_TF)
    return {"PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}


IMPORT_THEN_WRITE = """
    import os
    from keras_gans.cli import import_tensorflow
    import_tensorflow()
    os.write(2, b"ours\\n")
"""


def test_tensorflow_start_up_logging_is_hidden(fake_tensorflow):
    proc = _python(IMPORT_THEN_WRITE, env=fake_tensorflow)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "ours\n"  # and fd 2 works again afterwards


def test_verbose_shows_tensorflow_logging(fake_tensorflow):
    proc = _python(IMPORT_THEN_WRITE, env={**fake_tensorflow, "KERAS_GANS_VERBOSE": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "oneDNN custom operations" in proc.stderr
    assert proc.stderr.endswith("ours\n")


def test_a_broken_tensorflow_shows_what_it_printed_and_one_clear_line(fake_tensorflow):
    proc = _python("""
        from keras_gans import cli
        cli.main(["export", "."])
    """, env={**fake_tensorflow, "FAKE_TF_BROKEN": "1"})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[0].endswith("oneDNN custom operations are on")  # the evidence, kept
    assert lines[-1].startswith("Error: TensorFlow cannot be imported (libfoo.so")
    assert "pip install tensorflow" in lines[-1] and "Traceback" not in proc.stderr


def test_verbose_flag_sets_the_switch():
    proc = _python("""
        import os
        from keras_gans import cli
        try:
            cli.main(["--verbose", "zoo"])
        except SystemExit:
            pass
        print("VERBOSE", os.environ.get("KERAS_GANS_VERBOSE"))
    """)
    assert proc.stdout.strip().splitlines()[-1] == "VERBOSE 1", proc.stderr


@pytest.mark.parametrize("name", models.names())
def test_options_read_from_the_source_match_the_class(name):
    # `keras-gans train` checks options from the sources, before importing the class.
    cls = models.get(name)
    assert models.options(name) == models.inspected_options(cls)
    assert models.train_defaults(name) == dict(getattr(cls, "train_defaults", {}))
    assert models.optimizer_names(name) == cls.optimizer_names


def test_every_model_class_is_found_without_a_hand_kept_list():
    # Every zoo class of every module in keras_gans/models/, and nothing else.
    import importlib
    import inspect
    import pkgutil
    import keras_gans
    from keras_gans import models as package
    from keras_gans.core import ZooModel
    found = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"keras_gans.models.{info.name}")
        found |= {name for name, obj in vars(module).items()
                  if inspect.isclass(obj) and issubclass(obj, ZooModel)
                  and obj.__module__ == module.__name__}
    assert sorted(found) == models.names()
    assert {"DCGAN", "VanillaGAN", "ConditionalGAN", "ACGAN", "CycleGAN"} <= set(models.names())
    for name in models.names():  # the package's attributes, found the same way
        assert getattr(keras_gans, name) is models.get(name)


@pytest.mark.parametrize("value, policy", [("1", "mixed_bfloat16"), ("on", "mixed_bfloat16"),
                                           ("0", "float32"), ("off", "float32")])
def test_cpu_bf16_switch_steers_auto(monkeypatch, value, policy):
    import tensorflow as tf
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("auto follows the GPU here")
    monkeypatch.setenv(precision.CPU_BF16_ENV, value)
    assert precision.resolve("auto") == policy
    assert precision.CPU_BF16_ENV in precision.auto_policy()[1]


def test_cpu_bf16_switch_rejects_other_values(monkeypatch):
    monkeypatch.setenv(precision.CPU_BF16_ENV, "maybe")
    with pytest.raises(ValueError, match="KERAS_GANS_CPU_BF16='maybe': use 1"):
        precision.cpu_has_native_bf16()


@pytest.mark.parametrize("cap, native", [("", True), ("AVX2", False), ("avx512_core", False),
                                         ("AVX512_CORE_BF16", True), ("ALL", True)])
def test_cpu_bf16_follows_a_onednn_isa_cap(monkeypatch, cap, native):
    # ONEDNN_MAX_CPU_ISA=AVX2 makes a bf16 CPU run AVX2 kernels, where bf16 is emulated
    monkeypatch.delenv(precision.CPU_BF16_ENV, raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    monkeypatch.setattr(precision, "_cpu_flags", lambda: "flags : fpu avx2 avx512f avx512_bf16")
    assert precision.cpu_has_native_bf16() == native
    monkeypatch.setattr(precision, "_cpu_flags", lambda: "flags : fpu avx2")
    assert precision.cpu_has_native_bf16() is False


def test_cpu_bf16_auto_reads_the_cpu(monkeypatch):
    monkeypatch.delenv(precision.CPU_BF16_ENV, raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    monkeypatch.delenv("DNNL_MAX_CPU_ISA", raising=False)
    with open("/proc/cpuinfo") as f:
        flags = f.read()
    assert precision.cpu_has_native_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)


def test_modules_import_by_their_names_from_before_the_subpackages():
    # keras_gans.MOVED: code (the README, benchmarks, users') written against the
    # flat layout keeps working, and gets the very module of today.
    import importlib
    import keras_gans
    for old, new in keras_gans.MOVED.items():
        assert importlib.import_module(f"keras_gans.{old}") is importlib.import_module(new), old
    from keras_gans import train, unpaired  # noqa: F401  (as the README writes it)
    from keras_gans.train import load_run  # noqa: F401
    from keras_gans.training import train as today
    assert train is today
