"""Tests for mha_course.plots: what each figure draws, and what it refuses."""

import re

import matplotlib

matplotlib.use("Agg")  # headless: the tests never open a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from mha_course.plots import (  # noqa: E402
    ANNOTATE_MAX_TOKENS,
    plot_attention,
    plot_head_diversity,
    plot_heads,
    plot_loss,
    plot_mask,
    plot_positional_encoding,
    to_numpy,
)

TOKENS = ["the", "cat", "sat", "down"]


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


def random_weights(*shape, seed=0):
    """Rows that sum to one, made by torch's own softmax."""
    generator = torch.Generator().manual_seed(seed)
    return torch.softmax(torch.randn(*shape, generator=generator), dim=-1)


def tick_texts(labels):
    return [label.get_text() for label in labels]


def heatmap_axes(fig):
    """The panels that hold a heatmap (colour bars hold no image)."""
    return [ax for ax in fig.axes if ax.images and ax.get_visible()]


# --- to_numpy ---------------------------------------------------------------------


def test_to_numpy_detaches_tensors_that_need_gradients():
    tensor = torch.ones(2, 3, requires_grad=True) * 0.5
    array = to_numpy(tensor)
    assert isinstance(array, np.ndarray)
    assert array.dtype == np.float64
    np.testing.assert_array_equal(array, np.full((2, 3), 0.5))


def test_to_numpy_rejects_text():
    with pytest.raises(TypeError, match="sequence of numbers"):
        to_numpy(["a", "b"], "weights")


# --- plot_attention ---------------------------------------------------------------


def test_plot_attention_draws_the_matrix_with_labels_and_fixed_range():
    weights = random_weights(4, 4)
    ax = plot_attention(weights, TOKENS, TOKENS)
    assert isinstance(ax, Axes)
    assert ax.get_title() == "Attention weights"
    assert ax.get_xlabel() == "key (attended to)"
    assert ax.get_ylabel() == "query (attending)"
    (image,) = ax.images
    np.testing.assert_allclose(image.get_array(), weights.numpy())
    assert image.get_clim() == (0.0, 1.0)
    assert tick_texts(ax.get_xticklabels()) == TOKENS
    assert tick_texts(ax.get_yticklabels()) == TOKENS
    assert ax.get_xticklabels()[0].get_rotation() > 0  # keys are slanted
    assert len(ax.figure.axes) == 2  # the map and its colour bar


def test_plot_attention_writes_rounded_weights_in_the_cells():
    weights = np.array([[0.125, 0.875], [0.5, 0.5], [1.0, 0.0]])
    ax = plot_attention(weights, ["a", "b", "c"], ["x", "y"])
    texts = sorted(text.get_text() for text in ax.texts)
    expected = sorted(f"{value:.2f}" for value in weights.ravel())
    assert texts == expected


def test_plot_attention_text_contrasts_with_the_cell_colour():
    ax = plot_attention(np.array([[0.0, 1.0]]), annotate=True)
    colours = {text.get_text(): text.get_color() for text in ax.texts}
    # viridis is dark purple at 0 and light yellow at 1
    assert colours == {"0.00": "white", "1.00": "black"}


def test_plot_attention_annotates_only_short_sequences_by_default():
    size = ANNOTATE_MAX_TOKENS + 1
    long_ax = plot_attention(random_weights(size, size))
    assert len(long_ax.texts) == 0
    forced = plot_attention(random_weights(size, size), annotate=True)
    assert len(forced.texts) == size * size
    short_off = plot_attention(random_weights(3, 3), annotate=False)
    assert len(short_off.texts) == 0


def test_plot_attention_without_labels_uses_positions():
    ax = plot_attention(random_weights(2, 3))
    assert tick_texts(ax.get_xticklabels()) == ["0", "1", "2"]
    assert tick_texts(ax.get_yticklabels()) == ["0", "1"]


def test_plot_attention_draws_on_a_given_axes():
    fig, ax = plt.subplots()
    returned = plot_attention(random_weights(2, 2), ax=ax, title="mine")
    assert returned is ax
    assert ax.get_title() == "mine"
    assert ax.figure is fig


def test_plot_attention_accepts_a_tensor_that_needs_gradients():
    scores = torch.randn(3, 3, requires_grad=True)
    ax = plot_attention(torch.softmax(scores, dim=-1))
    assert ax.images[0].get_array().shape == (3, 3)


@pytest.mark.parametrize("shape", [(4,), (2, 4, 4)])
def test_plot_attention_rejects_a_matrix_that_is_not_2d(shape):
    with pytest.raises(ValueError, match=r"\(T_q, T_k\)"):
        plot_attention(np.full(shape, 0.25))


def test_plot_attention_rejects_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match="key_labels has 3 labels, expected 4"):
        plot_attention(random_weights(4, 4), TOKENS, TOKENS[:3])


def test_plot_attention_rejects_one_string_as_labels():
    with pytest.raises(TypeError, match="not one string"):
        plot_attention(random_weights(4, 4), "abcd")


def test_plot_attention_warns_about_scores():
    with pytest.warns(UserWarning, match="before the softmax"):
        plot_attention(np.array([[3.0, -1.0]]))


# --- plot_heads -------------------------------------------------------------------


def test_plot_heads_draws_one_panel_per_head_with_titles():
    weights = random_weights(3, 4, 4)
    fig = plot_heads(weights, TOKENS, TOKENS, ncols=2, suptitle="Layer 0")
    assert isinstance(fig, Figure)
    panels = heatmap_axes(fig)
    assert [ax.get_title() for ax in panels] == ["head 0", "head 1", "head 2"]
    for head, ax in enumerate(panels):
        np.testing.assert_allclose(ax.images[0].get_array(), weights[head].numpy())
        assert ax.images[0].get_clim() == (0.0, 1.0)
    assert fig.get_suptitle() == "Layer 0"
    hidden = [ax for ax in fig.axes if not ax.get_visible()]
    assert len(hidden) == 1  # a 2 x 2 grid for 3 heads


def test_plot_heads_labels_the_outer_panels():
    fig = plot_heads(random_weights(4, 4, 4), TOKENS, TOKENS, ncols=2)
    left, right, bottom_left, _ = heatmap_axes(fig)
    assert left.get_ylabel() == "query (attending)"
    assert right.get_ylabel() == ""
    assert bottom_left.get_xlabel() == "key (attended to)"
    assert left.get_xlabel() == ""


def test_plot_heads_uses_given_axis_labels_on_the_outer_panels():
    fig = plot_heads(
        random_weights(4, 4, 4),
        TOKENS,
        TOKENS,
        ncols=2,
        xlabel="source token",
        ylabel="target token",
    )
    left, right, bottom_left, bottom_right = heatmap_axes(fig)
    assert [left.get_ylabel(), bottom_left.get_ylabel()] == ["target token"] * 2
    assert [bottom_left.get_xlabel(), bottom_right.get_xlabel()] == ["source token"] * 2
    assert right.get_ylabel() == ""
    assert left.get_xlabel() == ""


def test_plot_heads_rejects_axis_labels_that_are_not_strings():
    with pytest.raises(TypeError, match="xlabel must be a string or None, got int"):
        plot_heads(random_weights(2, 3, 3), xlabel=3)
    with pytest.raises(TypeError, match="ylabel must be a string or None, got list"):
        plot_heads(random_weights(2, 3, 3), ylabel=["target"])


def test_plot_heads_uses_given_titles_and_fewer_columns_than_asked():
    fig = plot_heads(random_weights(2, 3, 5), titles=["syntax", "position"])
    panels = heatmap_axes(fig)
    assert [ax.get_title() for ax in panels] == ["syntax", "position"]
    assert not [ax for ax in fig.axes if not ax.get_visible()]


def test_plot_heads_rejects_wrong_inputs():
    with pytest.raises(ValueError, match=r"\(H, T_q, T_k\)"):
        plot_heads(random_weights(1, 2, 3, 3))
    with pytest.raises(ValueError, match="titles has 1 labels, expected 2"):
        plot_heads(random_weights(2, 3, 3), titles=["only one"])
    with pytest.raises(ValueError, match="ncols"):
        plot_heads(random_weights(2, 3, 3), ncols=0)


# --- plot_loss --------------------------------------------------------------------


def test_plot_loss_draws_losses_against_steps():
    losses = [2.5, 1.25, 0.75, 0.5]
    ax = plot_loss(losses)
    (line,) = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(line.get_ydata(), losses)
    assert ax.get_title() == "Training loss"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("training step", "loss")
    assert ax.get_yscale() == "linear"
    assert ax.get_legend() is None


def test_plot_loss_accepts_tensors_and_a_log_scale():
    losses = [torch.tensor(4.0), torch.tensor(2.0), torch.tensor(1.0)]
    ax = plot_loss(losses, log=True, title="Copy task")
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), [4.0, 2.0, 1.0])
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "Copy task"


def test_plot_loss_draws_one_named_curve_per_entry():
    ax = plot_loss({"train": np.array([3.0, 2.0]), "validation": [3.5, 2.5]})
    assert [line.get_label() for line in ax.lines] == ["train", "validation"]
    legend = ax.get_legend()
    assert tick_texts(legend.get_texts()) == ["train", "validation"]


def test_plot_loss_rejects_empty_or_non_positive_log():
    with pytest.raises(ValueError, match="empty"):
        plot_loss([])
    with pytest.raises(ValueError, match="positive"):
        plot_loss([1.0, 0.0], log=True)
    with pytest.raises(ValueError, match=r"\(steps,\)"):
        plot_loss(np.ones((2, 2)))


# --- plot_positional_encoding -----------------------------------------------------


def test_plot_positional_encoding_shows_positions_by_dimensions():
    positions = torch.arange(6.0)[:, None]  # (T, 1)
    encoding = torch.sin(positions * torch.tensor([1.0, 0.5, 0.25]))  # (T, D)
    ax = plot_positional_encoding(encoding)
    (image,) = ax.images
    np.testing.assert_allclose(image.get_array(), encoding.numpy())
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("position", "dimension")
    low, high = image.get_clim()
    assert low == -high  # symmetric: zero sits in the middle of the colours
    assert high == pytest.approx(encoding.abs().max().item())
    assert ax.get_title() == "Positional encoding"


def test_plot_positional_encoding_rejects_a_batch():
    with pytest.raises(ValueError, match=r"encoding\[0\]"):
        plot_positional_encoding(np.zeros((1, 4, 8)))


# --- plot_head_diversity ----------------------------------------------------------


def test_plot_head_diversity_draws_entropy_bars_and_similarity():
    entropy = torch.tensor([0.5, 1.0, 1.25])
    similarity = torch.eye(3) * 0.5 + 0.5
    fig = plot_head_diversity(entropy, similarity, ["a", "b", "c"], max_entropy=1.5)
    bar_ax, matrix_ax = fig.axes[:2]
    heights = [patch.get_height() for patch in bar_ax.patches]
    np.testing.assert_allclose(heights, entropy.numpy())
    (uniform_line,) = bar_ax.lines
    assert uniform_line.get_ydata()[0] == 1.5
    assert bar_ax.get_ylim()[1] > 1.5  # the line is inside the panel
    assert tick_texts(bar_ax.get_xticklabels()) == ["a", "b", "c"]
    np.testing.assert_allclose(matrix_ax.images[0].get_array(), similarity.numpy())
    assert tick_texts(matrix_ax.get_yticklabels()) == ["a", "b", "c"]
    assert len(fig.axes) == 3  # two panels and the similarity's colour bar


def test_plot_head_diversity_without_maximum_has_no_line():
    fig = plot_head_diversity(np.array([0.1, 0.2]), np.eye(2))
    assert len(fig.axes[0].lines) == 0
    assert tick_texts(fig.axes[0].get_xticklabels()) == ["0", "1"]


def test_plot_head_diversity_rejects_mismatched_heads():
    with pytest.raises(ValueError, match=r"\(H, H\) = \(3, 3\)"):
        plot_head_diversity(np.ones(3), np.eye(2))


# --- plot_mask --------------------------------------------------------------------


def lower_triangle(size):
    """A causal mask built here by hand, not by mha_course.masks."""
    return torch.ones(size, size, dtype=torch.bool).tril()


def legend_texts(ax):
    return tick_texts(ax.get_legend().get_texts())


def test_plot_mask_draws_the_mask_with_the_attention_axis_labels():
    mask = lower_triangle(4)
    ax = plot_mask(mask, TOKENS, TOKENS)
    assert isinstance(ax, Axes)
    (image,) = ax.images
    np.testing.assert_array_equal(image.get_array(), mask.numpy().astype(float))
    assert ax.get_title() == "Mask"
    assert tick_texts(ax.get_xticklabels()) == TOKENS
    assert tick_texts(ax.get_yticklabels()) == TOKENS
    reference = plot_attention(random_weights(4, 4))
    assert ax.get_xlabel() == reference.get_xlabel()
    assert ax.get_ylabel() == reference.get_ylabel()


def test_plot_mask_legend_names_the_two_colours_of_the_cells():
    ax = plot_mask(lower_triangle(3))
    assert legend_texts(ax) == ["1 = may attend", "0 = blocked"]
    (image,) = ax.images
    allowed_patch, blocked_patch = ax.get_legend().get_patches()
    allowed_colour = image.cmap(image.norm(1.0))
    blocked_colour = image.cmap(image.norm(0.0))
    assert allowed_colour != blocked_colour
    np.testing.assert_allclose(allowed_patch.get_facecolor(), allowed_colour)
    np.testing.assert_allclose(blocked_patch.get_facecolor(), blocked_colour)


def test_plot_mask_writes_1_or_0_in_each_cell():
    mask = np.array([[True, False, True], [False, False, True]])
    ax = plot_mask(mask, ["a", "b"], ["x", "y", "z"])
    written = {
        (round(text.get_position()[1]), round(text.get_position()[0])): text.get_text()
        for text in ax.texts
    }
    expected = {
        (row, col): "1" if allowed else "0"
        for (row, col), allowed in np.ndenumerate(mask)
    }
    assert written == expected


def test_plot_mask_annotates_only_short_masks_by_default():
    size = ANNOTATE_MAX_TOKENS + 1
    assert len(plot_mask(lower_triangle(size)).texts) == 0
    assert len(plot_mask(lower_triangle(3), annotate=False).texts) == 0
    assert len(plot_mask(lower_triangle(size), annotate=True).texts) == size * size


def test_plot_mask_accepts_a_non_square_numpy_mask_without_labels():
    mask = np.zeros((2, 3), dtype=bool)
    mask[:, 0] = True
    ax = plot_mask(mask, title="First key only")
    np.testing.assert_array_equal(ax.images[0].get_array(), mask.astype(float))
    assert tick_texts(ax.get_xticklabels()) == ["0", "1", "2"]
    assert tick_texts(ax.get_yticklabels()) == ["0", "1"]
    assert ax.get_title() == "First key only"


def test_plot_mask_draws_on_a_given_axes_and_can_leave_out_the_legend():
    fig, ax = plt.subplots()
    returned = plot_mask(lower_triangle(2), ax=ax, legend=False)
    assert returned is ax
    assert ax.figure is fig
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    "mask",
    [torch.ones(3, 3), np.ones((3, 3), dtype=int), lower_triangle(3).float()],
    ids=["torch-float", "numpy-int", "torch-0/1-float"],
)
def test_plot_mask_rejects_a_mask_that_is_not_boolean(mask):
    with pytest.raises(TypeError, match="must be boolean.*got dtype"):
        plot_mask(mask)


@pytest.mark.parametrize("shape", [(4,), (2, 1, 4, 4)])
def test_plot_mask_rejects_a_mask_that_is_not_2d(shape):
    expected = re.escape(f"mask must have shape (T_q, T_k), got shape {shape}")
    with pytest.raises(ValueError, match=expected):
        plot_mask(torch.ones(shape, dtype=torch.bool))


def test_plot_mask_rejects_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match="query_labels has 3 labels, expected 4"):
        plot_mask(lower_triangle(4), TOKENS[:3], TOKENS)
