"""The exercise checkers: verdicts, diagnoses, and robustness to anything.

Every checker must pass the package's own code, say "not implemented yet" for
a stub, recognise each usual mistake from a hand-written wrong answer (the
hint is asserted), survive any garbage without raising, and print exactly one
line each time.
"""

import functools
import inspect
import sys

import numpy as np
import pytest
import torch
from torch import nn
from wrong_answers import UNRECOGNISED_ANSWERS, WRONG_ANSWERS

from mha_course import (
    DecoderLayer,
    EncoderLayer,
    MultiHeadAttention,
    SingleHeadAttention,
    numpy_attention,
    scaled_dot_product_attention,
)
from mha_course.checks import (
    PARTS,
    CheckResult,
    check_multi_head_attention,
    check_scaled_dot_product_attention,
    check_single_head_attention,
    check_softmax,
)
from mha_course.checks._engine import build_reference
from mha_course.checks.decoder_layer import DECODER_LAYER
from mha_course.checks.encoder_layer import ENCODER_LAYER
from mha_course.checks.masks import CAUSAL_MASK, COMBINE_MASKS, PADDING_MASK
from mha_course.checks.multi_head import MULTI_HEAD_ATTENTION
from mha_course.checks.qkv_and_softmax import QKV_PROJECTIONS, SOFTMAX
from mha_course.checks.scaled_dot_product import (
    ATTENTION_SCORES,
    SCALED_DOT_PRODUCT_ATTENTION,
)
from mha_course.checks.single_head import SINGLE_HEAD_ATTENTION
from mha_course.checks.split_merge_heads import MERGE_HEADS, SPLIT_HEADS

SPECS = {
    spec.part: spec
    for spec in (
        SOFTMAX,
        QKV_PROJECTIONS,
        ATTENTION_SCORES,
        SCALED_DOT_PRODUCT_ATTENTION,
        SINGLE_HEAD_ATTENTION,
        SPLIT_HEADS,
        MERGE_HEADS,
        MULTI_HEAD_ATTENTION,
        CAUSAL_MASK,
        PADDING_MASK,
        COMBINE_MASKS,
        ENCODER_LAYER,
        DECODER_LAYER,
    )
}
ALL_PARTS = sorted(PARTS)


def run(capsys, part, obj):
    """Run a part's checker; assert it printed exactly its one verdict line."""
    result = PARTS[part].checker(obj)
    printed = capsys.readouterr()
    assert isinstance(result, CheckResult)
    assert printed.out == result.message + "\n", printed.out
    assert printed.err == ""
    assert result.part == part
    assert "\n" not in result.message
    expected_start = f"PASS {part}: " if result.passed else f"FAIL {part}: "
    assert result.message.startswith(expected_start)
    if not result.passed:
        assert ". Hint: " in result.message
    return result


def stub_like(reference):
    """A stub with the reference's parameters, as an exercise hands it out."""
    if inspect.isclass(reference):

        class Stub(reference):
            def forward(self, *args, **kwargs):
                raise NotImplementedError("forward: replace this line")

        return Stub

    @functools.wraps(reference)
    def stub(*args, **kwargs):
        raise NotImplementedError("replace this line with your code")

    return stub


def nan_like(reference):
    """An answer of the right form whose every float is NaN."""

    def poison(value):
        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return torch.full_like(value, float("nan"))
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            return np.full_like(value, np.nan)
        if isinstance(value, tuple):
            return tuple(poison(v) for v in value)
        if isinstance(value, dict):
            return {k: poison(v) for k, v in value.items()}
        return value

    if inspect.isclass(reference):

        class Poisoned(reference):
            def forward(self, *args, **kwargs):
                return poison(super().forward(*args, **kwargs))

        return Poisoned

    @functools.wraps(reference)
    def poisoned(*args, **kwargs):
        return poison(reference(*args, **kwargs))

    return poisoned


def raising_like(reference, error):
    if inspect.isclass(reference):

        class Raising(reference):
            def forward(self, *args, **kwargs):
                raise error

        return Raising

    @functools.wraps(reference)
    def raising(*args, **kwargs):
        raise error

    return raising


class InitRaises(nn.Module):
    def __init__(self, *args, **kwargs):
        raise RuntimeError("my __init__ is broken")


class InitExits(nn.Module):
    def __init__(self, *args, **kwargs):
        sys.exit(3)


def returns_text(*args, **kwargs):
    return "forty-two"


def no_parameters():
    return 0


GARBAGE = {
    "None": None,
    "a string": "softmax",
    "a number": 42,
    "an object": object(),
    "a function without parameters": no_parameters,
    "a function returning a string": returns_text,
    "a class whose __init__ raises": InitRaises,
    "a class whose __init__ calls sys.exit": InitExits,
    "an nn.Module instance": nn.Linear(2, 2),
    "a plain class": dict,
}


# --- the reference, stubs, garbage ----------------------------------------------


def test_every_part_has_a_checker_named_after_it():
    for part, entry in PARTS.items():
        assert entry.checker.__name__ == f"check_{part}"
        assert entry.exercise.endswith(".ipynb")
        assert SPECS[part].reference is entry.reference


@pytest.mark.parametrize("part", ALL_PARTS)
def test_reference_passes(part, capsys):
    result = run(capsys, part, PARTS[part].reference)
    assert result.passed, result.message
    assert "matches the reference on" in result.message


@pytest.mark.parametrize("part", ALL_PARTS)
def test_stub_is_not_implemented_yet(part, capsys):
    result = run(capsys, part, stub_like(PARTS[part].reference))
    assert not result.passed
    assert result.message.startswith(f"FAIL {part}: not implemented yet. Hint: ")


@pytest.mark.parametrize("part", ALL_PARTS)
@pytest.mark.parametrize("garbage", sorted(GARBAGE))
def test_garbage_never_crashes(part, garbage, capsys):
    result = run(capsys, part, GARBAGE[garbage])
    assert not result.passed


@pytest.mark.parametrize("part", ALL_PARTS)
def test_nan_answers_fail_naming_nan(part, capsys):
    reference = PARTS[part].reference
    result = run(capsys, part, nan_like(reference))
    if part in ("causal_mask", "padding_mask", "combine_masks"):
        assert result.passed  # masks hold no floats to poison
    else:
        assert not result.passed
        assert "NaN" in result.message


@pytest.mark.parametrize("part", ALL_PARTS)
def test_learner_exception_named_with_its_message(part, capsys):
    answer = raising_like(PARTS[part].reference, KeyError("oops, my mistake"))
    result = run(capsys, part, answer)
    assert not result.passed
    assert "raised KeyError: 'oops, my mistake'" in result.message


def test_learner_prints_are_hidden(capsys):
    def chatty_softmax(x, axis=-1):
        print("debugging output")
        print("more", file=sys.stderr)
        return numpy_attention.softmax(x, axis)

    assert run(capsys, "softmax", chatty_softmax).passed


def test_global_random_state_is_left_alone(capsys):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    run(capsys, "multi_head_attention", MultiHeadAttention)
    assert torch.equal(torch.get_rng_state(), before)


def test_result_is_not_displayed_twice_in_a_notebook(capsys):
    result = check_softmax(numpy_attention.softmax)
    capsys.readouterr()
    # IPython calls _ipython_display_ instead of showing the repr.
    assert result._ipython_display_() is None
    assert str(result) == result.message


# --- signatures and the class machinery ------------------------------------------


def test_wrong_signature_names_the_stub_parameters(capsys):
    def softmax(x):
        return numpy_attention.softmax(x)

    result = run(capsys, "softmax", softmax)
    assert "its parameters are (x)" in result.message
    assert "keep the parameters of the stub, (x, axis=-1)" in result.message


def test_instance_instead_of_class(capsys):
    result = check_multi_head_attention(MultiHeadAttention(8, 2))
    capsys.readouterr()
    assert "got an instance" in result.message
    assert "check_multi_head_attention(MultiHeadAttention)" in result.message


def test_renamed_submodules_are_reported_by_name(capsys):
    class Renamed(nn.Module):
        def __init__(self, embed_dim, head_dim=None, bias=True):
            super().__init__()
            self.query = nn.Linear(embed_dim, head_dim or embed_dim, bias=bias)

        def forward(self, query, key=None, value=None, mask=None):
            return None

    result = check_single_head_attention(Renamed)
    capsys.readouterr()
    assert "missing q_proj.weight" in result.message
    assert "unexpected query.weight" in result.message
    assert "keep the __init__ provided" in result.message


def test_init_that_raises_is_reported(capsys):
    result = check_single_head_attention(InitRaises)
    capsys.readouterr()
    assert "RuntimeError: my __init__ is broken" in result.message


def test_return_of_wrong_type_is_described(capsys):
    def attention(query, key, value, mask=None, *, dropout_p=0.0, training=False):
        return scaled_dot_product_attention(query, key, value, mask)[0]

    result = check_scaled_dot_product_attention(attention)
    capsys.readouterr()
    assert "should be a tuple (output, weights)" in result.message


def test_missing_return_is_pointed_out(capsys):
    def softmax(x, axis=-1):
        numpy_attention.softmax(x, axis)

    result = run(capsys, "softmax", softmax)
    assert "return statement" in result.message


def test_input_changed_in_place_is_reported(capsys):
    def softmax(x, axis=-1):
        x -= x.max(axis=axis, keepdims=True)
        exps = np.exp(x)
        return exps / exps.sum(axis=axis, keepdims=True)

    result = run(capsys, "softmax", softmax)
    assert "changed its input x in place" in result.message


def test_subclasses_with_the_same_weights_pass(capsys):
    # The learner's class is built with its own __init__, then loaded.
    for part, cls in [
        ("single_head_attention", SingleHeadAttention),
        ("encoder_layer", EncoderLayer),
        ("decoder_layer", DecoderLayer),
    ]:

        class Copy(cls):
            pass

        assert run(capsys, part, Copy).passed


# --- the usual mistakes ------------------------------------------------------------


def _mistake(part, key):
    (mistake,) = [m for m in SPECS[part].mistakes if m.key == key]
    return mistake


@pytest.mark.parametrize(
    ("part", "key", "word", "answer"),
    WRONG_ANSWERS,
    ids=[f"{part}-{key}" for part, key, _, _ in WRONG_ANSWERS],
)
def test_wrong_answer_gets_its_hint(part, key, word, answer, capsys):
    result = run(capsys, part, answer)
    mistake = _mistake(part, key)
    assert not result.passed
    assert f"FAIL {part}: {mistake.problem.rstrip('.')}" in result.message
    assert f"Hint: {mistake.hint}" in result.message
    assert word in result.message.split("Hint: ")[1]


@pytest.mark.parametrize(
    ("part", "words", "answer"),
    UNRECOGNISED_ANSWERS,
    ids=[f"{part}-{answer.__name__}" for part, _, answer in UNRECOGNISED_ANSWERS],
)
def test_other_wrong_answers_are_described(part, words, answer, capsys):
    result = run(capsys, part, answer)
    assert not result.passed
    for word in words:
        assert word in result.message


def test_every_brief_mistake_has_a_wrong_answer():
    covered = {(part, key) for part, key, _, _ in WRONG_ANSWERS}
    required = {
        ("attention_scores", "no_scaling"),
        ("attention_scores", "scaled_by_head_dim"),
        ("scaled_dot_product_attention", "softmax_over_queries"),
        ("scaled_dot_product_attention", "mask_inverted"),
        ("scaled_dot_product_attention", "mask_after_softmax"),
        ("scaled_dot_product_attention", "keys_as_values"),
        ("split_heads", "reshape_without_transpose"),
        ("multi_head_attention", "no_output_projection"),
        ("causal_mask", "diagonal_hidden"),
        ("causal_mask", "one_future_visible"),
        ("decoder_layer", "cross_keys_values_from_decoder"),
        ("decoder_layer", "cross_queries_from_memory"),
        ("encoder_layer", "no_attention_residual"),
        ("decoder_layer", "no_self_residual"),
    }
    assert required <= covered


@pytest.mark.parametrize("part", ALL_PARTS)
def test_mistakes_differ_from_the_reference(part):
    """Each recognised mistake changes the result on at least one case."""
    spec = SPECS[part]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: a thread pool only costs time
    try:
        _assert_mistakes_change_results(part, spec)
    finally:
        torch.set_num_threads(threads)


def _assert_mistakes_change_results(part, spec):
    for mistake in spec.mistakes:
        if mistake.compute is None:
            continue
        changed = False
        for case in spec.make_cases():
            reference = spec.reference
            if spec.is_class:
                reference = build_reference(spec, case.build)
            with torch.no_grad():
                want = reference(*case.args, **case.kwargs)
                try:
                    wrong = mistake.compute(case, reference)
                except Exception:
                    changed = True
                    continue
            changed |= _differs(wrong, want)
        assert changed, f"{part}: mistake {mistake.key} never changes the result"


def _differs(a, b):
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) != len(b) or any(
            _differs(x, y) for x, y in zip(a, b, strict=True)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() != b.keys() or any(_differs(a[k], b[k]) for k in a)
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            return True
        if a.dtype == torch.bool:
            return not torch.equal(a, b)
        return not torch.allclose(a, b, atol=1e-4, equal_nan=False)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape != b.shape or not np.allclose(a, b, atol=1e-4)
    return (a is None) != (b is None)
