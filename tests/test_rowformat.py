"""Row formats: each published rule writes the exact string ECInstruct's notebooks wrote, the
`[render]` table mixes rules, and the rest of the pipeline reads rows in either format."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import polars as pl
import pytest
from demo_build import run_cli
from test_render import selected_rows

from ecinstruct_builder.compat import tomllib
from ecinstruct_builder.config import parse_recipe
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.evaluate.parsers import parse_options
from ecinstruct_builder.evaluate.scorer import Selection, evaluate
from ecinstruct_builder.evaluate.tasks import resolve_task
from ecinstruct_builder.publish.features import option_lists
from ecinstruct_builder.render import render_task
from ecinstruct_builder.rowformat import (
    ECBUILD_STYLE,
    RenderConfig,
    RowStyle,
    ascii_escaped,
    one_shot_text,
    resolved,
    style_for,
)
from ecinstruct_builder.tasks import builders
from ecinstruct_builder.tasks.sa import SentimentAnalysis
from ecinstruct_builder.templates import load_templates, render_fields

PUBLISHED = RenderConfig(row_format="ecinstruct")


def rendered(abbr: str, row: dict[str, object], config: RenderConfig = PUBLISHED) -> dict[str, str]:
    return render_fields(load_templates(abbr).compiled(style_for(config, abbr)), row)


def test_prp_input_has_colon_keys_and_ascii_escapes():
    row = {"title1": "Café mug, 12 oz", "title2": 'Tea pot 7"', "options": ["A: x"], "label": "A"}
    assert (
        rendered("PRP", row)["input"]
        == '{"Product 1:": "Caf\\u00e9 mug, 12 oz", "Product 2:": "Tea pot 7\\""}'
    )
    assert (
        rendered("PRP", row, RenderConfig())["input"]
        == '{"Product 1": "Café mug, 12 oz", "Product 2": "Tea pot 7\\""}'
    )


def test_sr_options_cell_is_python_str_of_the_list():
    options = ["A: Owl's lamp, Home", 'B: Bulb 60" pack', "C: Crème brûlée torch"]
    row = {"history": ["1st: Desk"], "options": options, "label": "B"}
    published = rendered("SR", row)
    # str(list): single quotes, double quotes where the text has an apostrophe, characters kept
    assert published["options"] == """["A: Owl's lamp, Home", 'B: Bulb 60" pack', 'C: Crème brûlée torch']"""
    assert published["input"] == "['1st: Desk']"
    assert rendered("SR", row, RenderConfig())["options"] == json.dumps(options, ensure_ascii=False)


def test_pm_missing_values_are_nan_as_published():
    fields = {"title": "Photo Suite", "description": None, "manufacturer": None, "price": None}
    row = {f"{k}{n}": v for n in (1, 2) for k, v in fields.items()} | {"label": "no", "price2": "4.5 gbp"}
    product = '"title": "Photo Suite", "description": NaN, "manufacturer": "nan", "price": '
    assert rendered("PM", row)["input"] == (
        f'{{"product 1": {{{product}"nan"}}, "product 2": {{{product}"4.5 gbp"}}}}'
    )
    ours = json.loads(rendered("PM", row, RenderConfig())["input"])
    assert ours["product 1"] == {
        "title": "Photo Suite",
        "description": None,
        "manufacturer": None,
        "price": None,
    }


def test_ave_output_written_by_the_builder_gets_the_same_escapes():
    label = json.dumps(
        [{"attribute": "color", "value": "crème", "source": "product title"}], ensure_ascii=False
    )
    row = {
        "sections": [{"key": "product title", "text": "Crème jar"}],
        "target_attributes": "color",
        "label": label,
    }
    published = rendered("AVE", row)
    assert (
        published["output"] == '[{"attribute": "color", "value": "cr\\u00e8me", "source": "product title"}]'
    )
    assert published["input"] == '{"product title": "Cr\\u00e8me jar", "target attributes": "color"}'
    assert rendered("AVE", row, RenderConfig())["output"] == label


def test_ascii_escapes_match_json_dumps_beyond_the_basic_plane():
    value = {"k": "naïve 😀 — ok"}
    assert ascii_escaped(json.dumps(value, ensure_ascii=False)) == json.dumps(value)


def test_one_shot_example_published_has_input_options_output_only():
    example = {
        "instruction": "Pick one.",
        "input": '{"Product 1:": "Caf\\u00e9"}',
        "options": '["A: x"]',
        "output": "A",
    }
    style = style_for(PUBLISHED, "PRP")
    assert one_shot_text(example, style) == (
        '{"input": "{\\"Product 1:\\": \\"Caf\\\\u00e9\\"}", "options": "[\\"A: x\\"]", "output": "A"}'
    )
    title = {**example, "input": "Café mug"}  # a non-ASCII title the example itself escapes
    assert (
        one_shot_text(title, style) == '{"input": "Caf\\u00e9 mug", "options": "[\\"A: x\\"]", "output": "A"}'
    )
    no_options = {**example, "options": ""}
    assert list(json.loads(one_shot_text(no_options, style))) == ["input", "output"]
    ours = json.loads(one_shot_text({**example, "input": "Café"}, ECBUILD_STYLE))
    assert ours == {**example, "input": "Café"}
    assert "Café" in one_shot_text({**example, "input": "Café"}, ECBUILD_STYLE)


def test_one_shot_rows_of_a_render_in_published_format():
    rows = render_task(
        selected_rows(), SentimentAnalysis(), load_templates("SA"), 1, style_for(PUBLISHED, "SA")
    )
    again = render_task(
        selected_rows(), SentimentAnalysis(), load_templates("SA"), 1, style_for(PUBLISHED, "SA")
    )
    assert rows.equals(again)  # deterministic in the published format too
    shots = rows.filter(pl.col("setting").str.ends_with("1-shot"))
    train = rows.filter(pl.col("setting") == "IND_Diverse_Instruction", pl.col("split") == "train")
    assert shots.height > 0
    for cell in shots["few_shot_example"]:
        example = json.loads(cell)
        assert list(example) == ["input", "options", "output"]
        assert train.filter(pl.col("input") == example["input"], pl.col("output") == example["output"]).height


def test_category_blocks_pair_test_i_with_train_i_category_by_category():
    selected = selected_rows()
    # two in-domain categories, interleaved in selection order
    selected = selected.with_columns(
        category=pl.when(pl.col("category") == "Tools")
        .then(pl.lit("Tools"))
        .otherwise(
            pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("Kitchen")).otherwise(pl.lit("Garden"))
        )
    )
    order = ("Kitchen", "Garden")
    style = RowStyle(category_blocks=True)
    rows = render_task(selected, SentimentAnalysis(), load_templates("SA"), 1, style, order)
    train = rows.filter(pl.col("setting") == "IND_Diverse_Instruction", pl.col("split") == "train")
    tests = rows.filter(pl.col("setting") == "IND_Diverse_Instruction_1-shot")
    blocks = [train.filter(pl.col("category") == c) for c in order]
    train_in_blocks = pl.concat(blocks)
    assert tests["category"].to_list() == sorted(tests["category"].to_list(), key=order.index)
    for i, cell in enumerate(tests["few_shot_example"]):
        example = json.loads(cell)
        assert example["input"] == train_in_blocks["input"][i % train_in_blocks.height]
    selection_order = render_task(
        selected, SentimentAnalysis(), load_templates("SA"), 1, ECBUILD_STYLE, order
    )
    assert not selection_order.equals(rows)


def test_presets_and_single_rules_mix():
    # without a [render] table every task keeps ecbuild's format; the published one changes them all
    for abbr in builders():
        assert style_for(RenderConfig(), abbr) == ECBUILD_STYLE
    assert all(style_for(PUBLISHED, abbr) != ECBUILD_STYLE for abbr in builders())
    assert resolved(RenderConfig(row_format="ecinstruct", pm_missing="null"))["pm_missing"] == "null"
    mixed = RenderConfig(row_format="ecinstruct", ascii_json=False, one_shot_example="full")
    assert style_for(mixed, "PRP") == RowStyle(colon_keys=True)
    assert style_for(mixed, "SR") == RowStyle(python_option_lists=True, category_blocks=True)
    assert style_for(RenderConfig(sr_options="python"), "SR") == RowStyle(python_option_lists=True)
    # task-named rules touch their own task only
    assert style_for(PUBLISHED, "SA") == RowStyle(ascii_json=True, published_one_shot=True)
    assert style_for(RenderConfig(), "PRP") == ECBUILD_STYLE


def test_render_table_is_validated():
    def load(table: str):
        raw = tomllib.loads(f"[sources.amazon2018]\n[render]\n{table}\n")
        return parse_recipe(raw, Path("r.toml"))

    assert load('row_format = "ecinstruct"\nascii_json = false').render == RenderConfig("ecinstruct", False)
    with pytest.raises(RecipeError, match=r"render\.row_format must be one of 'ecbuild', 'ecinstruct'"):
        load('row_format = "published"')
    with pytest.raises(RecipeError, match=r"unknown key 'sr_option' \(did you mean 'sr_options'\?\)"):
        load('sr_option = "python"')
    with pytest.raises(RecipeError, match=r"render\.ascii_json must be a boolean"):
        load('ascii_json = "yes"')


def test_published_and_json_option_cells_read_the_same():
    options = ["A: Owl's lamp", 'B: Bulb 60" pack', "C: Crème"]
    assert parse_options(str(options)) == parse_options(json.dumps(options)) == parse_options(options)
    cells = pl.Series([str(options), "", None, json.dumps(options)])
    assert option_lists(cells).to_list() == [options, [], [], options]
    assert option_lists(pl.Series([json.dumps(options)])).to_list() == [options]
    with pytest.raises(ValueError, match="neither a JSON nor a Python list"):
        option_lists(pl.Series(["A: not a list"]))


def test_published_format_builds_exports_and_scores(tmp_path: Path):
    demo = Path(__file__).parents[1] / "ecinstruct_builder" / "recipes" / "demo.toml"
    published = tmp_path / "published.toml"
    text = demo.read_text(encoding="utf-8") + '\n[render]\nrow_format = "ecinstruct"\n'
    published.write_text(text, encoding="utf-8")
    work, out = tmp_path / "work", tmp_path / "export"
    run_cli("fetch", "--recipe", str(published), "--workdir", str(work), "--quiet")
    run_cli("render", "--recipe", str(published), "--workdir", str(work), "--quiet", "--task", "PRP,SR")
    prp = pl.read_parquet(work / "dataset" / "Product_Relation_Prediction.parquet")
    assert all(cell.startswith('{"Product 1:": ') for cell in prp["input"])
    sr = pl.read_parquet(work / "dataset" / "Sequential_Recommendation.parquet")
    assert all(cell == str(ast.literal_eval(cell)) for cell in sr["options"])  # Python's str(list)
    assert any(cell.startswith("['A: ") for cell in sr["options"])

    # every SR test row answered with the wording of its gold option: the scorer reads str(list) cells
    tests = sr.filter(pl.col("split") == "test")
    answers = [parse_options(o)[g] for o, g in zip(tests["options"], tests["output"], strict=True)]
    predictions = tmp_path / "predictions.jsonl"
    lines = [json.dumps({"id": i, "prediction": a}) for i, a in zip(tests["id"], answers, strict=True)]
    predictions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = evaluate(predictions, str(work), Selection(tasks=(resolve_task("SR"),)))
    assert report.results
    for result in report.results:
        assert (result.invalid, result.missing) == (0, 0)
        assert result.metrics[result.primary] == pytest.approx(1.0)

    # published configs type the options as lists, decoded from the Python literal
    run_cli("export", "--recipe", str(published), "--workdir", str(work), "--out", str(out), "--quiet")
    exported = pl.read_parquet(next((out / "data" / "Sequential_Recommendation").glob("test-*.parquet")))
    cells = tests.filter(pl.col("setting") == "IND_Diverse_Instruction")["options"]
    assert exported["options"].to_list() == [ast.literal_eval(cell) for cell in cells]
