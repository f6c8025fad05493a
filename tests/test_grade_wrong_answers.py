"""Deliberately wrong submissions, graded end to end on the real course.

A small class hands in the course's own exercise notebooks with some stubs
filled in by hand-written wrong code: the usual mistakes of ``wrong_answers.py``
(a wrong shape, missing or wrong scaling, the softmax over the wrong axis, a
mask inverted or applied after the softmax, keys where the values belong,
heads split or merged by a plain reshape, no output projection, a causal mask
off by one, cross-attention fed the wrong inputs, a missing residual). Each
learner makes at most one mistake per part, so a few learners carry them all;
the other parts stay stubs. One more learner hands in the solutions.

The class is graded once by the real grader, through its command line. Each
mistake must cost its part the point and reach the learner's feedback as the
checker's FAIL line with the right hint; that line is computed independently,
by running the checker in this process on the same mistake from
``wrong_answers.py``. Stubs must say "not implemented yet", and the solutions
must earn full marks.
"""

import ast
import contextlib
import csv
import functools
import inspect
import io
import json
import os
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import wrong_answers as wrong
from filelock import FileLock
from wrong_answers import UNRECOGNISED_ANSWERS, WRONG_ANSWERS

from mha_course import grade
from mha_course.checks import PARTS
from mha_course.grading.course import load_course

REPO_ROOT = Path(__file__).resolve().parent.parent
EXERCISES, SOLUTIONS = REPO_ROOT / "exercises", REPO_ROOT / "solutions"
CONTROL = "solutions"  # the learner who hands in the course's own solutions
HINT_SEPARATOR = ". Hint: "
# What a feedback file puts before each verdict line of a part.
VERDICT_PREFIX = "    - "
# Set by pytest-xdist in its worker processes.
XDIST_WORKER_VARIABLE = "PYTEST_XDIST_WORKER"
FLAGS_HEADING = "## Flags"  # where a feedback file's list of parts ends
# The exercises' setup cells import these; an answer cell may use them.
NOTEBOOK_NAMES = {"np": np, "torch": torch}


# ---- the learners' code ---------------------------------------------------------


def _body(function):
    """The statements of a function or method of ``wrong_answers.py``, dedented.

    Comment lines just above the first statement are kept: they are part of
    what the learner wrote.
    """
    source = textwrap.dedent(inspect.getsource(function))
    definition = ast.parse(source).body[0]
    lines = source.splitlines()
    start = definition.body[0].lineno - 1
    while lines[start - 1].strip().startswith("#"):
        start -= 1
    return textwrap.dedent("\n".join(lines[start : definition.end_lineno])) + "\n"


# Mistakes that wrong_answers.py builds with a factory (one function with
# switches) are written out here, as a learner would write each one; the three
# decoder layers share a template and differ only where it has blanks.
SDPA_SOFTMAX_OVER_QUERIES = """\
# (..., T_q, d_head) @ (..., d_head, T_k) -> (..., T_q, T_k)
scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
if mask is not None:
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
weights = torch.softmax(scores, dim=-2)
if training and dropout_p > 0:
    weights = torch.nn.functional.dropout(weights, p=dropout_p)
return weights @ value, weights  # (..., T_q, T_k) @ (..., T_k, d_value)
"""
SDPA_MASK_INVERTED = """\
# (..., T_q, d_head) @ (..., d_head, T_k) -> (..., T_q, T_k)
scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
if mask is not None:
    scores = scores.masked_fill(mask, torch.finfo(scores.dtype).min)
weights = torch.softmax(scores, dim=-1)
if training and dropout_p > 0:
    weights = torch.nn.functional.dropout(weights, p=dropout_p)
return weights @ value, weights  # (..., T_q, T_k) @ (..., T_k, d_value)
"""
SDPA_MASK_AFTER_SOFTMAX = """\
# (..., T_q, d_head) @ (..., d_head, T_k) -> (..., T_q, T_k)
scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
weights = torch.softmax(scores, dim=-1)
if mask is not None:
    weights = weights.masked_fill(~mask, 0.0)
if training and dropout_p > 0:
    weights = torch.nn.functional.dropout(weights, p=dropout_p)
return weights @ value, weights  # (..., T_q, T_k) @ (..., T_k, d_value)
"""
SDPA_KEYS_AS_VALUES = """\
# (..., T_q, d_head) @ (..., d_head, T_k) -> (..., T_q, T_k)
scores = query @ key.transpose(-2, -1) / math.sqrt(query.shape[-1])
if mask is not None:
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
weights = torch.softmax(scores, dim=-1)
if training and dropout_p > 0:
    weights = torch.nn.functional.dropout(weights, p=dropout_p)
return weights @ key, weights  # (..., T_q, T_k) @ (..., T_k, d_head)
"""
MHA_SPLIT_BY_RESHAPE = """\
batch, query_len, _ = query.shape
key_len = key.shape[1]
# (B, T, D) -> (B, H, T, d_head) in one reshape
q = self.q_proj(query).reshape(batch, self.num_heads, query_len, self.head_dim)
k = self.k_proj(key).reshape(batch, self.num_heads, key_len, self.head_dim)
v = self.v_proj(value).reshape(batch, self.num_heads, key_len, self.head_dim)
heads, weights = scaled_dot_product_attention(q, k, v, mask)
output = self.out_proj(merge_heads(heads))  # (B, H, T_q, d_head) -> (B, T_q, D)
return output, (weights if need_weights else None)
"""
MHA_NO_OUTPUT_PROJECTION = """\
q = split_heads(self.q_proj(query), self.num_heads)  # (B, T_q, D) -> (B, H, T_q, d)
k = split_heads(self.k_proj(key), self.num_heads)  # (B, T_k, D) -> (B, H, T_k, d)
v = split_heads(self.v_proj(value), self.num_heads)
heads, weights = scaled_dot_product_attention(q, k, v, mask)
output = merge_heads(heads)  # (B, H, T_q, d_head) -> (B, T_q, D)
return output, (weights if need_weights else None)
"""
MHA_SCALED_BY_EMBED_DIM = """\
q = split_heads(self.q_proj(query), self.num_heads)  # (B, T_q, D) -> (B, H, T_q, d)
k = split_heads(self.k_proj(key), self.num_heads)  # (B, T_k, D) -> (B, H, T_k, d)
v = split_heads(self.v_proj(value), self.num_heads)
# (B, H, T_q, d_head) @ (B, H, d_head, T_k) -> (B, H, T_q, T_k)
scores = q @ k.transpose(-2, -1) / math.sqrt(self.embed_dim)
if mask is not None:
    scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
weights = scores.softmax(dim=-1)
output = self.out_proj(merge_heads(weights @ v))  # -> (B, T_q, D)
return output, (weights if need_weights else None)
"""
_DECODER = """\
attended, self_weights = self.self_attn(x, x, x, self_mask, need_weights)
x = self.self_attn_norm({self_residual})
attended, cross_weights = self.cross_attn({cross_inputs}, memory_mask, need_weights)
x = self.cross_attn_norm(x + attended)
x = self.ff_norm(x + self.feed_forward(x))
weights = {{"self": self_weights, "cross": cross_weights}}
return x, (weights if need_weights else None)
"""
DECODER_CROSS_KEYS_VALUES_FROM_X = _DECODER.format(
    self_residual="x + attended", cross_inputs="x, x, x"
)
DECODER_CROSS_QUERIES_FROM_MEMORY = _DECODER.format(
    self_residual="x + attended", cross_inputs="memory, x, x"
)
DECODER_NO_SELF_RESIDUAL = _DECODER.format(
    self_residual="attended", cross_inputs="x, memory, memory"
)

IMPORT_MATH = "import math\n\n"
HIDDEN_CONSTANT = "HIDDEN = -1e9  # what I fill hidden scores with\n\n"

# (part, mistake key in wrong_answers.py, the code the learner put in place of
# the stub's ``raise NotImplementedError``, lines they added above the stub)
MISTAKES = [
    ("softmax", "axis_ignored", _body(wrong.softmax_axis_ignored), ""),
    ("softmax", "no_keepdims_in_sum", _body(wrong.softmax_no_keepdims), ""),
    ("qkv_projections", "keys_as_values", _body(wrong.qkv_keys_as_values), ""),
    ("attention_scores", "no_scaling", _body(wrong.scores_unscaled), ""),
    (
        "attention_scores",
        "scaled_by_head_dim",
        _body(wrong.scores_divided_by_width),
        "",
    ),
    (
        "scaled_dot_product_attention",
        "softmax_over_queries",
        SDPA_SOFTMAX_OVER_QUERIES,
        IMPORT_MATH,
    ),
    (
        "scaled_dot_product_attention",
        "mask_inverted",
        SDPA_MASK_INVERTED,
        IMPORT_MATH,
    ),
    (
        "scaled_dot_product_attention",
        "mask_after_softmax",
        SDPA_MASK_AFTER_SOFTMAX,
        IMPORT_MATH,
    ),
    (
        "scaled_dot_product_attention",
        "keys_as_values",
        SDPA_KEYS_AS_VALUES,
        IMPORT_MATH,
    ),
    (
        "single_head_attention",
        "keys_as_values",
        _body(wrong.HeadKeysAsValues.forward),
        "",
    ),
    (
        "single_head_attention",
        "no_scaling",
        _body(wrong.HeadUnscaled.forward),
        HIDDEN_CONSTANT,
    ),
    ("split_heads", "reshape_without_transpose", _body(wrong.split_by_reshape), ""),
    # A wrong shape that no listed mistake explains: the verdict gives the shapes.
    ("split_heads", "split_with_extra_axis", _body(wrong.split_with_extra_axis), ""),
    ("merge_heads", "reshape_without_transpose", _body(wrong.merge_by_reshape), ""),
    # An error no listed mistake explains: the verdict quotes it, then the hint.
    ("merge_heads", "merge_with_view", _body(wrong.merge_with_view), ""),
    ("multi_head_attention", "split_by_reshape", MHA_SPLIT_BY_RESHAPE, ""),
    ("multi_head_attention", "no_output_projection", MHA_NO_OUTPUT_PROJECTION, ""),
    (
        "multi_head_attention",
        "scaled_by_embed_dim",
        MHA_SCALED_BY_EMBED_DIM,
        IMPORT_MATH,
    ),
    ("causal_mask", "diagonal_hidden", _body(wrong.causal_diagonal_hidden), ""),
    ("causal_mask", "one_future_visible", _body(wrong.causal_one_future), ""),
    ("causal_mask", "inverted", _body(wrong.causal_inverted), ""),
    ("padding_mask", "flat", _body(wrong.padding_flat), ""),
    (
        "encoder_layer",
        "no_attention_residual",
        _body(wrong.EncoderNoAttentionResidual.forward),
        "",
    ),
    (
        "encoder_layer",
        "no_ff_residual",
        _body(wrong.EncoderNoFeedForwardResidual.forward),
        "",
    ),
    (
        "decoder_layer",
        "cross_keys_values_from_decoder",
        DECODER_CROSS_KEYS_VALUES_FROM_X,
        "",
    ),
    (
        "decoder_layer",
        "cross_queries_from_memory",
        DECODER_CROSS_QUERIES_FROM_MEMORY,
        "",
    ),
    ("decoder_layer", "no_self_residual", DECODER_NO_SELF_RESIDUAL, ""),
]
# The usual mistakes the course names, and the parts and keys above making them.
USUAL_MISTAKES = {
    "a wrong shape": [
        ("softmax", "no_keepdims_in_sum"),
        ("split_heads", "split_with_extra_axis"),
        ("padding_mask", "flat"),
    ],
    "missing or wrong scaling": [
        ("attention_scores", "no_scaling"),
        ("attention_scores", "scaled_by_head_dim"),
        ("single_head_attention", "no_scaling"),
        ("multi_head_attention", "scaled_by_embed_dim"),
    ],
    "softmax over the wrong axis": [
        ("softmax", "axis_ignored"),
        ("scaled_dot_product_attention", "softmax_over_queries"),
    ],
    "a mask inverted or applied after the softmax": [
        ("scaled_dot_product_attention", "mask_inverted"),
        ("scaled_dot_product_attention", "mask_after_softmax"),
        ("causal_mask", "inverted"),
    ],
    "keys used where values belong": [
        ("qkv_projections", "keys_as_values"),
        ("scaled_dot_product_attention", "keys_as_values"),
        ("single_head_attention", "keys_as_values"),
    ],
    "heads split by a reshape that scrambles tokens": [
        ("split_heads", "reshape_without_transpose"),
        ("merge_heads", "reshape_without_transpose"),
        ("multi_head_attention", "split_by_reshape"),
    ],
    "a missing output projection": [("multi_head_attention", "no_output_projection")],
    "a causal mask off by one": [
        ("causal_mask", "diagonal_hidden"),
        ("causal_mask", "one_future_visible"),
    ],
    "cross-attention fed the wrong inputs": [
        ("decoder_layer", "cross_keys_values_from_decoder"),
        ("decoder_layer", "cross_queries_from_memory"),
    ],
    "a missing residual": [
        ("encoder_layer", "no_attention_residual"),
        ("encoder_layer", "no_ff_residual"),
        ("decoder_layer", "no_self_residual"),
    ],
}
MISTAKE_IDS = [f"{part}-{key}" for part, key, _, _ in MISTAKES]

# (part, mistake key) -> (the same mistake as wrong_answers.py has it, the
# words its verdict must show, whether they must be in the hint). The answers
# no mistake explains are keyed by their function's name.
EXPECTED = {
    (part, key): (answer, (word,), True) for part, key, word, answer in WRONG_ANSWERS
}
EXPECTED.update(
    {
        (part, answer.__name__): (answer, words, False)
        for part, words, answer in UNRECOGNISED_ANSWERS
    }
)


# ---- building the answer cells and the class --------------------------------


@functools.cache
def _stubs():
    """Part id -> (exercise file name, the stub's source) in the course."""
    return {
        part.id: (exercise.name, exercise.notebook.cells[part.answer_index].source)
        for exercise in load_course(EXERCISES).exercises
        for part in exercise.parts
    }


def _raise_statement(stub):
    """The stub's ``raise NotImplementedError(...)`` statement (an ast node)."""
    return next(
        node
        for node in ast.walk(ast.parse(stub))
        if isinstance(node, ast.Raise) and "NotImplementedError" in ast.unparse(node)
    )


def _answer_cell(stub, body, preamble):
    """The stub with its raise statement replaced by ``body``, as handed in."""
    statement = _raise_statement(stub)
    lines = stub.splitlines()
    indented = textwrap.indent(body, " " * statement.col_offset).splitlines()
    lines[statement.lineno - 1 : statement.end_lineno] = indented
    return preamble + "\n".join(lines) + "\n"


def _defined_name(stub):
    """The name of the function or class a stub defines."""
    return next(
        node.name
        for node in ast.parse(stub).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    )


def _checker_verdict(part, answer):
    """The line the part's checker prints for ``answer``, run in this process."""
    with contextlib.redirect_stdout(io.StringIO()):
        return PARTS[part].checker(answer).message


def _plan():
    """Learner -> {part: (mistake key, answer cell source)}.

    A part's n-th mistake goes to learner n, so every learner makes at most
    one mistake per part and leaves the parts they have no mistake for as stubs.
    """
    stubs, plan, count = _stubs(), {}, {}
    for part, key, body, preamble in MISTAKES:
        count[part] = count.get(part, 0) + 1
        learner = f"learner_{count[part]}"
        source = _answer_cell(stubs[part][1], body, preamble)
        plan.setdefault(learner, {})[part] = (key, source)
    return plan


def _hand_in(folder, answers, stubs):
    """Copy the exercises to ``folder`` with ``answers`` pasted into them."""
    shutil.copytree(EXERCISES, folder)
    for part, (_, source) in answers.items():
        path = folder / stubs[part][0]
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            tag = cell.get("metadata", {}).get("mha_course", {})
            if tag.get("part") != part:
                continue
            if tag.get("role") == "answer":
                cell["source"] = source
            else:  # handed in with cleared outputs: no verdict in the file
                cell["outputs"], cell["execution_count"] = [], None
        path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def _verdicts(feedback):
    """Part id -> the verdict lines under it in a feedback file."""
    verdicts, part = {}, None
    for line in feedback.splitlines():
        if line == FLAGS_HEADING:
            break
        if line.startswith("- `"):  # - `softmax`: **not passed**
            part = line.split("`")[1]
            verdicts[part] = []
        elif line.startswith(VERDICT_PREFIX) and part is not None:
            verdicts[part].append(line[len(VERDICT_PREFIX) :])
    return verdicts


def _grade_class(root):
    """Hand in the class under ``root``, grade it; return what the grader wrote."""
    submissions, stubs, plan = root / "submissions", _stubs(), _plan()
    for learner, answers in plan.items():
        _hand_in(submissions / learner, answers, stubs)
    shutil.copytree(SOLUTIONS, submissions / CONTROL)

    out = root / "results" / "grades.csv"
    arguments = [str(submissions), "--out", str(out), "--exercises", str(EXERCISES)]
    status = grade.main([*arguments, "--jobs", "2"])
    with out.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    table = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    feedback = {
        path.stem: path.read_text(encoding="utf-8")
        for path in (out.parent / "feedback").glob("*.md")
    }
    return {"status": status, "plan": plan, "table": table, "feedback": feedback}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The class, graded once per test run even when xdist spreads the tests.

    Under xdist every worker would build this fixture; the first one grades
    the class and leaves the results in the run's shared temporary folder,
    where the others read them.
    """
    if XDIST_WORKER_VARIABLE not in os.environ:  # a single process: no sharing
        return _grade_class(tmp_path_factory.mktemp("wrong_class"))
    shared = tmp_path_factory.getbasetemp().parent
    results = shared / "wrong_class.json"
    with FileLock(f"{results}.lock"):
        if not results.is_file():
            graded_class = _grade_class(shared / "wrong_class")
            results.write_text(json.dumps(graded_class), encoding="utf-8")
    return json.loads(results.read_text(encoding="utf-8"))


def _learner_with(plan, part, key):
    """The learner who made mistake ``key`` in ``part``."""
    return next(
        learner
        for learner, answers in plan.items()
        if part in answers and answers[part][0] == key
    )


# ---- the answers themselves, without the grader ----------------------------------


@pytest.mark.parametrize(("part", "key", "body", "preamble"), MISTAKES, ids=MISTAKE_IDS)
def test_each_answer_cell_is_real_code_giving_its_mistakes_verdict(
    part, key, body, preamble
):
    stub = _stubs()[part][1]
    source = _answer_cell(stub, body, preamble)
    assert "NotImplementedError" not in source
    namespace = dict(NOTEBOOK_NAMES)
    exec(compile(source, f"<answer cell of {part}>", "exec"), namespace)
    answer, _, _ = EXPECTED[(part, key)]
    learners_verdict = _checker_verdict(part, namespace[_defined_name(stub)])
    assert learners_verdict == _checker_verdict(part, answer)
    assert learners_verdict.startswith(f"FAIL {part}: ")


def test_every_usual_mistake_is_in_the_class():
    in_class = [(part, key) for part, key, _, _ in MISTAKES]
    assert len(set(in_class)) == len(in_class)
    assert set(in_class) <= set(EXPECTED)
    for mistake, examples in USUAL_MISTAKES.items():
        assert examples, mistake
        assert set(examples) <= set(in_class), mistake


# ---- the class, graded ---------------------------------------------------------


def test_the_class_is_graded_with_a_row_and_feedback_per_learner(graded):
    learners = sorted([*graded["plan"], CONTROL])
    assert graded["status"] == grade.EXIT_OK
    assert sorted(graded["table"]) == learners
    assert sorted(graded["feedback"]) == learners


@pytest.mark.parametrize(("part", "key", "body", "preamble"), MISTAKES, ids=MISTAKE_IDS)
def test_each_mistake_scores_zero_with_its_fail_line_and_hint(
    graded, part, key, body, preamble
):
    learner = _learner_with(graded["plan"], part, key)
    assert graded["table"][learner][part] == "0"
    answer, words, in_hint = EXPECTED[(part, key)]
    expected_line = _checker_verdict(part, answer)
    assert _verdicts(graded["feedback"][learner])[part] == [expected_line]
    _, hint = expected_line.split(HINT_SEPARATOR, 1)  # every FAIL line has a hint
    shown = hint if in_hint else expected_line
    for word in words:
        assert word in shown


def test_parts_left_as_stubs_say_not_implemented_yet(graded):
    for learner, answers in graded["plan"].items():
        verdicts = _verdicts(graded["feedback"][learner])
        stubs = [part for part in PARTS if part not in answers]
        assert stubs, learner  # every learner leaves at least one stub
        for part in stubs:
            assert graded["table"][learner][part] == "0"
            assert len(verdicts[part]) == 1
            assert verdicts[part][0].startswith(f"FAIL {part}: not implemented yet")


def test_wrong_learners_score_nothing_and_raise_no_flag(graded):
    for learner in graded["plan"]:
        row = graded["table"][learner]
        assert row["total"] == "0", learner
        assert row["flags"] == "", learner


def test_the_solutions_earn_full_marks(graded):
    row = graded["table"][CONTROL]
    assert row["total"] == str(len(PARTS))
    assert all(row[part] == "1" for part in PARTS)
    verdicts = _verdicts(graded["feedback"][CONTROL])
    assert sorted(verdicts) == sorted(PARTS)
    assert not any(verdicts.values())  # a part that passed shows no verdict
