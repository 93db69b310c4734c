"""Quiz mode through app.py (ui/quiz.py): off by default, the pages as they always were; the
sidebar switch (or a ?quiz=1 link) puts a question before a result and hides the result until it
is answered; wrong and right answers, the reveal with its explanation, the session's score,
garbage answers, and every page's question."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from cnnplay.convnets.models import MODELS
from cnnplay.ops.conv import conv_output_size
from tests.views.apptest_utils import open_tab, texts

APP = "../../app.py"
TIMEOUT = 90


@pytest.fixture
def at() -> AppTest:
    """The app on the Padding page (its first tab: Output size & sliding), quiz mode off."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["quiz_seed"] = 1  # this session's choices, fixed for the test
    at.run()
    return at.switch_page("views/padding.py").run()


def quiz_on(at: AppTest) -> AppTest:
    return at.toggle(key="quiz_mode").set_value(True).run()


def prompts(at: AppTest) -> list[str]:
    return [m for m in texts(at, "markdown") if "**Predict" in m]


def sidebar_score(at: AppTest) -> str:
    return next(c.value for c in at.sidebar.caption if "Score this session" in c.value)


def answer(at: AppTest, key: str, text: str) -> AppTest:
    at.text_input(key=f"quiz_in_{key}").input(text)
    return at.button(key=f"quiz_check_{key}").click().run()


def size_formula(at: AppTest) -> list[str]:
    return [t for t in texts(at, "latex") if t.startswith("H'")]


def test_off_by_default_the_page_is_as_it_was(at):
    assert not at.exception
    switch = at.sidebar.toggle(key="quiz_mode")
    assert switch.label == "Quiz mode: predict, then reveal" and switch.value is False
    assert size_formula(at) and not prompts(at) and not at.text_input
    assert not any("Score this session" in c.value for c in at.sidebar.caption)


def test_switch_on_hides_the_result_then_a_wrong_answer_reveals_it(at):
    quiz_on(at)
    assert not at.exception
    assert "**Predict the output size.** An input of **n = 5** cells" in prompts(at)[0]
    assert not size_formula(at) and not at.get("plotly_chart")  # the result waits
    assert sidebar_score(at).endswith("0 right of 0 asked")
    answer(at, "pd_size", "7")
    assert not at.exception
    assert at.error[0].value == "Not quite: you said 7; the answer is **3 cells**."
    worked = "⌊(5 + 2·1 − 1·(3−1) − 1) / 2⌋ + 1 = ⌊4 / 2⌋ + 1 = **3**"
    assert any(worked in m for m in texts(at, "markdown"))
    assert size_formula(at) and size_formula(at)[0].endswith("= 3")  # the page's own formula
    assert sidebar_score(at).endswith("0 right of 1 asked")
    at.run()  # the same question stays answered: counted once
    assert sidebar_score(at).endswith("0 right of 1 asked") and size_formula(at)


def test_new_settings_ask_again_and_a_right_answer_raises_the_score(at):
    quiz_on(at)
    answer(at, "pd_size", "7")
    at.number_input(key="pd_n").set_value(9).run()  # new numbers: a new question, result hidden
    assert "**n = 9**" in prompts(at)[0] and not size_formula(at)
    assert at.text_input(key="quiz_in_pd_size").value == ""  # a fresh, empty answer
    right = conv_output_size(9, 3, 2, 1, 1)
    answer(at, "pd_size", f" {right}.0 ")
    assert at.success[0].value == f"Right: you said {right}.0; the answer is **{right} cells**."
    assert sidebar_score(at).endswith("1 right of 2 asked") and size_formula(at)


def test_garbage_gets_a_clear_message_and_changes_nothing(at):
    quiz_on(at)
    for garbage in ("abc", "", "3 4"):
        answer(at, "pd_size", garbage)
        assert not at.exception
        message = at.warning[0].value
        assert "not a number" in message or "Type or choose an answer first" in message
        assert not size_formula(at) and sidebar_score(at).endswith("0 right of 0 asked")
    answer(at, "pd_size", "1,024")  # readable, wrong
    assert at.error and sidebar_score(at).endswith("0 right of 1 asked")


def test_reveal_without_answering_counts_as_asked(at):
    quiz_on(at)
    at.button(key="quiz_reveal_pd_size").click().run()
    assert not at.exception
    assert at.info[0].value == "The answer: **3 cells**." and size_formula(at)
    assert sidebar_score(at).endswith("0 right of 1 asked")


def test_a_quiz_link_turns_it_on_for_the_session():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["quiz"] = "1"
    at.run()
    assert at.sidebar.toggle(key="quiz_mode").value is True
    at.switch_page("views/padding.py").run()
    assert prompts(at) and not size_formula(at)
    quiz_off = at.toggle(key="quiz_mode").set_value(False).run()  # the student's choice holds
    assert quiz_off.toggle(key="quiz_mode").value is False and size_formula(quiz_off)


def test_the_kernels_reveal_points_the_step_through_at_the_asked_cell(at):
    at.switch_page("views/kernels.py").run()
    assert shown(at, "kn_map1")  # quiz mode off: the feature maps as today
    quiz_on(at)
    prompt = prompts(at)[0]
    assert "**Predict a feature-map cell.**" in prompt and not shown(at, "kn_map1")
    i, j = map(int, re.search(r"\*\*F\[(\d+), (\d+)\]\*\*", prompt).groups())
    answer(at, "kn_cell", "not a number")
    assert at.warning and not at.exception
    at.button(key="quiz_reveal_kn_cell").click().run()
    assert not at.exception
    assert (at.session_state["kn_step_i"], at.session_state["kn_step_j"]) == (i, j)
    assert any(m.startswith(f"**F[{i}, {j}]** =") for m in texts(at, "markdown"))
    assert shown(at, "kn_map1")
    at.button(key="quiz_next_kn_cell").click().run()  # another cell of the same map
    assert prompts(at)[0] != prompt and at.button(key="quiz_check_kn_cell")


def shown(at: AppTest, key: str) -> bool:
    """Whether a chart whose key starts with ``key`` is on the page."""
    return any(f"-{key}" in e.proto.id for e in at.get("plotly_chart"))


PAGES = [  # page, tab prefix, tab, question key, what it asks, the hidden result's chart key
    ("views/pooling.py", "pl", "Pool a grid", "pl_winner", "the winner", "pl_in_0"),
    ("views/receptive_field.py", "rf", "Stack of layers", "rf_field", "field", "rf_growth"),
    ("views/bottleneck_cost.py", "bn", "Layer list", "bn_params", "parameter count", "bn_ex_chart"),
    ("views/detection.py", "det", "Pipeline & NMS", "det_keep", "Predict NMS", "det_final"),
]


@pytest.mark.parametrize("page, prefix, tab, key, asks, result", PAGES, ids=[p[3] for p in PAGES])
def test_every_page_asks_before_its_result(at, page, prefix, tab, key, asks, result):
    at.switch_page(page).run()
    open_tab(at, prefix, tab)
    assert not at.exception and shown(at, result)  # as today
    quiz_on(at)
    assert not at.exception and asks in prompts(at)[0] and not shown(at, result)
    if at.radio and at.radio[-1].key == f"quiz_in_{key}":
        at.radio(key=f"quiz_in_{key}").set_value(at.radio(key=f"quiz_in_{key}").options[0])
        at.button(key=f"quiz_check_{key}").click().run()
    else:
        answer(at, key, "0")
    assert not at.exception and (at.success or at.error) and shown(at, result)
    assert sidebar_score(at).endswith("of 1 asked")


@pytest.mark.usefixtures("one_thread")  # tests/conftest.py: tiny models train fastest so
def test_train_a_cnn_asks_a_trained_models_parameter_count(at):
    at.switch_page("views/train_cnn.py").run()
    at.select_slider(key="cv_n_train").set_value(500)
    at.select_slider(key="cv_n_test").set_value(500)
    at.number_input(key="cv_epochs").set_value(1).run()
    at.button(key="cv_train").click().run()
    open_tab(at, "cv", "Results")
    assert not at.exception and at.dataframe  # the results table, as today
    quiz_on(at)
    assert "**Predict the parameter count.**" in prompts(at)[0] and not at.dataframe
    run = at.session_state["cv_run"]
    name = next(n for n, r in run.results.items() if MODELS[n] in prompts(at)[0].split(",")[0])
    answer(at, "cv_params", f"{run.results[name].params:,}")  # the table's own figure
    assert not at.exception and at.success and at.dataframe
    assert sidebar_score(at).endswith("1 right of 1 asked")


def test_inside_a_pretrained_cnn_asks_a_normalised_pixel(at):
    at.switch_page("views/pretrained.py").run()
    assert not at.exception and any("3. centre crop" in c for i in at.image for c in i.captions)
    quiz_on(at)
    (prompt,) = prompts(at)
    assert "**Predict the network's input.**" in prompt and "±0.01" in prompt
    assert not any("3. centre crop" in c for i in at.image for c in i.captions)  # hidden
    value = int(re.search(r"value \*\*(\d+)\*\*", prompt).group(1))
    answer(at, "pt_norm", f"{(value / 255 - 0.5) / 0.5:.3f}")  # EfficientNet-Lite0: 0.5, 0.5
    assert not at.exception and at.success
    assert any("3. centre crop" in c for i in at.image for c in i.captions)
    assert sidebar_score(at).endswith("1 right of 1 asked")


def test_transfer_learning_asks_the_new_heads_parameters(at):
    at.switch_page("views/transfer_learning.py").run()
    explained = [m for m in texts(at, "markdown") if "new parameters for your" in m]
    assert not at.exception and explained
    count = re.search(r"\*\*([\d,]+)\*\* new parameters", explained[0]).group(1)
    quiz_on(at)
    (prompt,) = prompts(at)
    assert "**Predict the parameter count.**" in prompt and "new dense layer" in prompt
    assert not [m for m in texts(at, "markdown") if "new parameters for your" in m]
    answer(at, "tl_head", count)  # the page's own figure is the right answer
    assert not at.exception and at.success
    assert [m for m in texts(at, "markdown") if "new parameters for your" in m]


def test_what_a_cnn_learned_asks_which_search_finds_more(at):
    at.switch_page("views/learned.py").run()
    assert not at.exception and shown(at, "wl_nn_strip")
    found = next(m for m in texts(at, "markdown") if m.startswith("Of the "))
    by_features, by_pixels = (int(n) for n in re.findall(r"\*\*(\d+)\*\*", found)[:2])
    quiz_on(at)
    assert "**Predict the search.**" in prompts(at)[0] and not shown(at, "wl_nn_strip")
    right = (
        "features"
        if by_features > by_pixels
        else "pixels"
        if by_pixels > by_features
        else "the same number"
    )
    at.radio(key="quiz_in_wl_nn_more").set_value(right)
    at.button(key="quiz_check_wl_nn_more").click().run()
    assert not at.exception and at.success and shown(at, "wl_nn_strip")
