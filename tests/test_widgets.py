"""Tests for mha_course.widgets: the plain functions, then the wiring of each widget.

Expected numbers come from torch's own softmax and attention, not from the
module's NumPy code. A widget is driven by setting a control's value, as a
learner's click would, and read back through ``.result``.
"""

import logging
import math

import matplotlib

matplotlib.use("Agg")  # headless: the tests never open a window

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from IPython.display import HTML  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mha_course.widgets import (  # noqa: E402
    DEFAULT_KEYS,
    DEFAULT_LABELS,
    DEFAULT_QUERY,
    DEFAULT_VALUES,
    SCALING_HEAD_DIMS,
    _display,  # where the explorers reach IPython's display
    head_picker,
    lookup,
    plot_lookup,
    plot_scaling,
    query_explorer,
    scaling_demo,
    scaling_explorer,
    select_head,
    softmax_with_scale,
)


@pytest.fixture(autouse=True)
def no_figure_or_callback_error_left(caplog):
    """Every test must close its figures, and no widget callback may fail.

    ipywidgets catches an exception inside a callback and only logs it, so a
    broken callback would otherwise go unnoticed.
    """
    plt.close("all")
    with caplog.at_level(logging.WARNING):
        yield
    failures = [r for r in caplog.records if "interact callback" in r.getMessage()]
    assert failures == []
    assert plt.get_fignums() == []


def torch_lookup(query, keys, values):
    """The lesson-01 lookup computed with torch's own functions."""
    query = torch.tensor(query, dtype=torch.float64)
    keys = torch.tensor(keys, dtype=torch.float64)
    values = torch.tensor(values, dtype=torch.float64)
    scores = keys @ query
    weights = torch.softmax(scores / math.sqrt(query.numel()), dim=-1)
    output = torch.nn.functional.scaled_dot_product_attention(
        query[None, None], keys[None], values[None]
    )[0, 0]
    return scores.numpy(), weights.numpy(), output.numpy()


# --- lookup -----------------------------------------------------------------------


def test_lookup_matches_torch():
    query = [0.3, -1.2]
    scores, weights, output = torch_lookup(query, DEFAULT_KEYS, DEFAULT_VALUES)
    result = lookup(query, DEFAULT_KEYS, DEFAULT_VALUES)
    np.testing.assert_allclose(result["scores"], scores)
    np.testing.assert_allclose(result["scaled_scores"], scores / math.sqrt(2))
    np.testing.assert_allclose(result["weights"], weights)
    np.testing.assert_allclose(result["output"], output)


def test_lookup_accepts_tensors_and_wider_vectors():
    generator = torch.Generator().manual_seed(0)
    query = torch.randn(3, generator=generator, requires_grad=True)
    keys, values = torch.randn(5, 3, generator=generator), torch.randn(5, 4)
    result = lookup(query, keys, values)
    _, weights, output = torch_lookup(query.tolist(), keys.tolist(), values.tolist())
    np.testing.assert_allclose(result["weights"], weights)
    np.testing.assert_allclose(result["output"], output)
    assert result["output"].shape == (4,)


def test_lookup_with_a_query_on_one_key_prefers_that_key():
    keys = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]
    result = lookup([4.0, 0.0], keys, keys)
    assert result["weights"].argmax() == 0
    assert result["weights"].sum() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("query", "keys", "values", "message"),
    [
        ([[1.0, 0.0]], [[1.0, 0.0]], [[1.0]], r"shape \(d,\)"),
        ([1.0, 0.0], [[1.0, 0.0, 0.0]], [[1.0]], r"\(T_k, 2\)"),
        ([1.0, 0.0], [[1.0, 0.0]], [[1.0], [2.0]], "one per key"),
    ],
)
def test_lookup_rejects_shapes_that_do_not_fit(query, keys, values, message):
    with pytest.raises(ValueError, match=message):
        lookup(query, keys, values)


def test_plot_lookup_draws_keys_query_and_weights():
    fig = plot_lookup(DEFAULT_QUERY, DEFAULT_KEYS, DEFAULT_VALUES, DEFAULT_LABELS)
    plane, bars = fig.axes
    _, weights, _ = torch_lookup(DEFAULT_QUERY, DEFAULT_KEYS, DEFAULT_VALUES)
    heights = [patch.get_height() for patch in bars.patches]
    np.testing.assert_allclose(heights, weights)
    words = {text.get_text() for text in plane.texts} - {""}  # "": the arrow
    assert words == {*DEFAULT_LABELS, "query"}
    np.testing.assert_allclose(plane.collections[0].get_offsets(), DEFAULT_KEYS)
    plt.close(fig)


def test_plot_lookup_rejects_keys_it_cannot_draw():
    with pytest.raises(ValueError, match=r"\(T_k, 2\)"):
        plot_lookup([1.0, 0.0, 0.0], np.eye(3), np.eye(3))


# --- query_explorer ---------------------------------------------------------------


def test_query_explorer_recomputes_when_a_slider_moves():
    widget = query_explorer()
    assert isinstance(widget, ipywidgets.interactive)
    slider_x, slider_y = widget.children[:2]
    assert (slider_x.description, slider_y.description) == ("query x", "query y")
    _, start_weights, _ = torch_lookup(DEFAULT_QUERY, DEFAULT_KEYS, DEFAULT_VALUES)
    np.testing.assert_allclose(widget.result["weights"], start_weights)

    slider_x.value = -2.0
    slider_y.value = 1.5
    _, weights, output = torch_lookup([-2.0, 1.5], DEFAULT_KEYS, DEFAULT_VALUES)
    np.testing.assert_allclose(widget.result["weights"], weights)
    np.testing.assert_allclose(widget.result["output"], output)


def test_query_explorer_with_own_keys_uses_them_as_values():
    keys = torch.tensor([[1.0, 1.0], [-1.0, 0.5]])
    widget = query_explorer(keys, labels=["up", "left"])
    widget.children[0].value = 0.0
    _, weights, output = torch_lookup([0.0, 0.5], keys.tolist(), keys.tolist())
    np.testing.assert_allclose(widget.result["weights"], weights)
    np.testing.assert_allclose(widget.result["output"], output)


def test_query_explorer_shows_figure_and_rounded_numbers_in_a_kernel(monkeypatch):
    shown = []
    monkeypatch.setattr(_display, "get_ipython", lambda: object())  # "in a kernel"
    monkeypatch.setattr(_display, "clear_output", lambda wait=False: shown.clear())
    monkeypatch.setattr(_display, "display", lambda *objects: shown.extend(objects))
    widget = query_explorer()
    widget.children[1].value = -1.0
    figure, table = shown
    assert isinstance(figure, Figure)
    assert isinstance(table, HTML)
    scores, weights, output = torch_lookup(
        [DEFAULT_QUERY[0], -1.0], DEFAULT_KEYS, DEFAULT_VALUES
    )
    for label, score, weight in zip(DEFAULT_LABELS, scores, weights, strict=True):
        assert f"<td>{label}</td><td>{score:.2f}</td>" in table.data
        assert f"<td>{weight:.2f}</td>" in table.data
    assert f"output = [{output[0]:.2f}, {output[1]:.2f}]" in table.data


def test_query_explorer_rejects_keys_that_are_not_2d_points():
    with pytest.raises(ValueError, match=r"\(T_k, 2\)"):
        query_explorer(np.ones((3, 4)))
    with pytest.raises(ValueError, match="labels has 1 labels, expected 2"):
        query_explorer(np.ones((2, 2)), labels=["one"])


# --- lesson 02: scaling -----------------------------------------------------------


@pytest.mark.parametrize("scaled", [True, False])
def test_softmax_with_scale_matches_torch(scaled):
    scores = torch.tensor([[3.0, -1.0, 8.0], [0.5, 0.5, 0.0]], dtype=torch.float64)
    head_dim = 16
    divisor = math.sqrt(head_dim) if scaled else 1.0
    expected = torch.softmax(scores / divisor, dim=-1)
    np.testing.assert_allclose(softmax_with_scale(scores, head_dim, scaled), expected)


def test_softmax_with_scale_rejects_bad_head_dim():
    with pytest.raises(ValueError, match="head_dim"):
        softmax_with_scale([1.0, 2.0], 0)
    with pytest.raises(TypeError, match="head_dim"):
        softmax_with_scale([1.0, 2.0], 2.0)


def test_scaling_demo_draws_query_then_keys_from_the_seeded_generator():
    head_dim, num_keys, seed = 32, 6, 3
    rng = np.random.default_rng(seed)
    query = torch.from_numpy(rng.standard_normal(head_dim))
    keys = torch.from_numpy(rng.standard_normal((num_keys, head_dim)))
    for scaled in (True, False):
        divisor = math.sqrt(head_dim) if scaled else 1.0
        expected = torch.softmax(keys @ query / divisor, dim=-1).numpy()
        weights, max_weight = scaling_demo(head_dim, scaled, seed, num_keys)
        np.testing.assert_allclose(weights, expected)
        assert max_weight == pytest.approx(expected.max())


def test_scaling_keeps_the_softmax_from_saturating_at_large_width():
    seeds = range(20)
    unscaled = np.mean([scaling_demo(1024, False, seed)[1] for seed in seeds])
    scaled = np.mean([scaling_demo(1024, True, seed)[1] for seed in seeds])
    # Unscaled scores have a standard deviation of 32: one key takes everything.
    assert unscaled > 0.95
    # Scaled scores have a standard deviation of 1: the weight stays spread.
    assert scaled < 0.7


def test_plot_scaling_draws_weights_and_titles_the_maximum():
    weights, max_weight = scaling_demo(8, True)
    fig = plot_scaling(weights, 8, True)
    (ax,) = fig.axes
    np.testing.assert_allclose([p.get_height() for p in ax.patches], weights)
    assert ax.get_title().endswith(f"max weight {max_weight:.2f}")
    assert ax.lines[0].get_ydata()[0] == pytest.approx(1 / 8)  # uniform level
    plt.close(fig)


def test_scaling_explorer_follows_slider_and_checkbox():
    widget = scaling_explorer(seed=5)
    dim_slider, checkbox = widget.children[:2]
    assert tuple(dim_slider.options) == SCALING_HEAD_DIMS
    assert SCALING_HEAD_DIMS[0] == 2 and SCALING_HEAD_DIMS[-1] == 1024
    assert checkbox.description == "divide by sqrt(d_k)"

    dim_slider.value = 1024
    checkbox.value = False
    weights, max_weight = scaling_demo(1024, False, seed=5)
    np.testing.assert_array_equal(widget.result[0], weights)
    assert widget.result[1] == max_weight

    checkbox.value = True
    assert widget.result[1] == scaling_demo(1024, True, seed=5)[1]


def test_scaling_explorer_rejects_a_width_not_on_the_slider():
    with pytest.raises(ValueError, match="one of"):
        scaling_explorer(head_dim=100)


# --- lessons 04 and 09: picking heads ---------------------------------------------


def test_select_head_from_one_layer_and_from_a_list_of_layers():
    layer_0 = torch.softmax(torch.randn(3, 4, 4), dim=-1)
    layer_1 = torch.softmax(torch.randn(3, 4, 4), dim=-1)
    np.testing.assert_allclose(select_head(layer_0, 0, 2), layer_0[2].numpy())
    chosen = select_head([layer_0, layer_1], layer=1, head=1)
    np.testing.assert_allclose(chosen, layer_1[1].numpy())


@pytest.mark.parametrize(
    ("weights", "layer", "head", "error", "message"),
    [
        (np.ones((2, 3, 3)), 1, 0, ValueError, "layer must be in 0..0"),
        (np.ones((2, 3, 3)), 0, 2, ValueError, "head must be in 0..1"),
        (np.ones((2, 3, 3)), 0, 1.0, TypeError, "head must be an integer"),
        (np.ones((1, 2, 3, 3)), 0, 0, ValueError, r"weights\[0\]"),
        ([np.ones((2, 3, 3)), np.ones((2, 4, 4))], 0, 0, ValueError, "same shape"),
        ([], 0, 0, ValueError, "empty"),
    ],
)
def test_select_head_rejects_bad_input(weights, layer, head, error, message):
    with pytest.raises(error, match=message):
        select_head(weights, layer, head)


def test_head_picker_redraws_the_chosen_head():
    weights = torch.softmax(torch.randn(4, 3, 3), dim=-1)
    widget = head_picker(weights, ["a", "b", "c"], ["a", "b", "c"])
    (head_menu,) = widget.children[:-1]  # one layer: no layer menu
    assert [label for label, _ in head_menu.options] == [f"head {h}" for h in range(4)]
    np.testing.assert_allclose(widget.result, weights[0].numpy())
    head_menu.value = 3
    np.testing.assert_allclose(widget.result, weights[3].numpy())


def test_head_picker_offers_layers_for_a_list():
    layers = [torch.softmax(torch.randn(2, 3, 5), dim=-1) for _ in range(3)]
    widget = head_picker(layers, titles=["near", "far"])
    layer_menu, head_menu = widget.children[:2]
    assert [label for label, _ in head_menu.options] == ["near", "far"]
    assert len(layer_menu.options) == 3
    layer_menu.value = 2
    head_menu.value = 1
    np.testing.assert_allclose(widget.result, layers[2][1].numpy())


def test_head_picker_shows_a_titled_attention_map_in_a_kernel(monkeypatch):
    shown = []
    monkeypatch.setattr(_display, "get_ipython", lambda: object())
    monkeypatch.setattr(_display, "clear_output", lambda wait=False: shown.clear())
    monkeypatch.setattr(_display, "display", lambda *objects: shown.extend(objects))
    layers = [np.full((2, 2, 2), 0.5), np.full((2, 2, 2), 0.5)]
    widget = head_picker(layers)
    widget.children[0].value = 1
    (figure,) = shown
    assert figure.axes[0].get_title() == "layer 1, head 0"


def test_head_picker_checks_labels_before_building_the_widget():
    with pytest.raises(ValueError, match="query_labels has 2 labels, expected 3"):
        head_picker(np.full((2, 3, 3), 1 / 3), query_labels=["a", "b"])
