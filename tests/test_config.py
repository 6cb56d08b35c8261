"""The typed recipe: every bad recipe is one line and a non-zero exit before any work; good ones load."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ecinstruct_builder.cli import main
from ecinstruct_builder.config import available_recipes, load_recipe
from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.paths import recipes_dir
from ecinstruct_builder.recipe_docs import reference

DEMO = (recipes_dir() / "demo.toml").read_text()


def replaced(old: str, new: str):
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


def appended(extra: str):
    return lambda text: text + "\n" + extra + "\n"


# (what is wrong, how the demo recipe is changed, what the one error line must say)
BAD = [
    (
        "misspelt task",
        appended("[tasks.SAA]\nsizes = { train = 5 }"),
        "unknown task [tasks.SAA] (did you mean 'SA'?)",
    ),
    (
        "misspelt source key",
        replaced("[sources.amazon2014]\ncategories", "[sources.amazon2014]\ncategoris"),
        "sources.amazon2014: unknown key 'categoris' (did you mean 'categories'?)",
    ),
    (
        "misspelt section",
        appended("[filterz]\nhtml = true"),
        "unknown key 'filterz' (did you mean 'filters'?)",
    ),
    ("num_perm 0", replaced("num_perm = 128", "num_perm = 0"), "dedup.num_perm must be an integer >= 8"),
    ("num_perm -1", replaced("num_perm = 128", "num_perm = -1"), "dedup.num_perm must be an integer >= 8"),
    (
        "confidence 2",
        replaced("min_confidence = 0.5", "min_confidence = 2"),
        "min_confidence must be a number",
    ),
    (
        "min_words not a table",
        replaced("min_words = { review = 10 }", "min_words = -5"),
        "tasks.SA.filters.min_words must be a table of integer, got -5",
    ),
    (
        "min_words negative",
        replaced("min_words = { review = 10 }", "min_words = { review = -5 }"),
        "tasks.SA.filters.min_words.review must be an integer >= 0, got -5",
    ),
    ("seed boolean", replaced("seed = 1", "seed = true"), "seed must be an integer, got True"),
    ("seed negative", replaced("seed = 1", "seed = -7"), "seed must be an integer >= 0"),
    (
        "languages a string",
        replaced('languages = ["en"], min_confidence', 'languages = "en", min_confidence'),
        "filters.language.languages must be a list of string, got 'en'",
    ),
    (
        "unknown locale",
        replaced('locales = ["us"]', 'locales = ["xx"]'),
        "sources.esci.locales[0] must be one of",
    ),
    (
        "unknown category",
        replaced('ood_categories = ["Tools_and_Home_Improvement"]', 'ood_categories = ["Tools_and_Home"]'),
        "tasks.PRP.ood_categories: 'Tools_and_Home' is not a category of the recipe's sources",
    ),
    (
        "category on both sides",
        replaced('ood_categories = ["Tools_and_Home_Improvement"]', 'ood_categories = ["Electronics"]'),
        "category 'Electronics' is both in-domain and out-of-domain",
    ),
    (
        "threshold a string",
        replaced("threshold = 0.8", 'threshold = "high"'),
        "dedup.threshold must be a finite",
    ),
    (
        "categories not strings",
        replaced(
            '[tasks.PRP]\nind_categories = ["Electronics", "Home_and_Kitchen", "Sports_and_Outdoors"]',
            "[tasks.PRP]\nind_categories = [1, 2]",
        ),
        "tasks.PRP.ind_categories[0] must be a string, got 1",
    ),
    (
        "misspelt filter of the last task",
        replaced(
            '[tasks.AG]\ndedup = { unit = "word", ngram = 3 }', "[tasks.AG]\nfilters = { htlm = false }"
        ),
        "tasks.AG.filters: unknown key 'htlm' (did you mean 'html'?)",
    ),
    (
        "fractions that do not sum to 1",
        replaced("fractions = [0.8, 0.1, 0.1]", "fractions = [0.5, 0.25, 0.2]"),
        "split.fractions must sum to 1",
    ),
    (
        "two fractions",
        replaced("fractions = [0.8, 0.1, 0.1]", "fractions = [0.9, 0.1]"),
        "must be a list of 3",
    ),
    (
        "unknown split",
        replaced("[tasks.PM]\nsizes = { train = 100,", "[tasks.PM]\nsizes = { tran = 100,"),
        "tasks.PM.sizes: unknown key 'tran' (did you mean 'train'?)",
    ),
    (
        "OOD quota of a task without OOD",
        replaced("[tasks.PM]\nsizes = { train = 100,", "[tasks.PM]\nsizes = { test_ood = 5, train = 100,"),
        "tasks.PM.sizes.test_ood: PM has no out-of-domain test split",
    ),
    (
        "categories of a task without categories",
        replaced("[tasks.PM]\n", '[tasks.PM]\nind_categories = ["Electronics"]\n'),
        "tasks.PM: PM takes no ind_categories/ood_categories",
    ),
    (
        "unknown builder parameter",
        replaced("lists_per_query = 2", "lists_per_query = 0"),
        "must be an integer >= 1",
    ),
    ("not TOML", appended("[tasks.SA"), "not valid TOML"),
    (
        "unknown source",
        appended("[sources.amazon2019]"),
        "unknown source 'amazon2019' (did you mean 'amazon2018'?)",
    ),
    (
        "unknown origin",
        replaced('origin = "bundled"', 'origin = "web"'),
        "origin must be one of 'bundled', 'download'",
    ),
    (
        "sizes not a table",
        replaced("[tasks.PM]\nsizes = { train = 100, validation = 15, test = 15 }", "[tasks.PM]\nsizes = 5"),
        "tasks.PM.sizes must be",
    ),
    (
        "language a string",
        replaced(
            'language = { engine = "fasttext", languages = ["en"], min_confidence = 0.5 }', 'language = "en"'
        ),
        "filters.language must be a table or boolean, got 'en'",
    ),
    (
        "unknown leakage mode",
        replaced('cross_task = "report"', 'cross_task = "delete"'),
        "decontaminate.cross_task must be one of 'report', 'remove', got 'delete'",
    ),
    ("empty file", lambda text: "", "is empty"),
    ("no sources", lambda text: 'name = "x"\n', "the recipe reads no source"),
]


@pytest.mark.parametrize(("case", "edit", "message"), BAD, ids=[case for case, _, _ in BAD])
def test_bad_recipe_is_one_line_and_exit_2(tmp_path: Path, case: str, edit, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(edit(DEMO))
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # no traceback, an orderly exit
    assert result.output.count("\n") == 1, result.output
    assert message in result.output, result.output


@pytest.mark.parametrize("name", available_recipes())
def test_bundled_recipes_are_valid(name: str) -> None:
    result = CliRunner().invoke(main, ["check", name])
    assert result.exit_code == 0, result.output
    assert f"recipe {name} " in result.output


def test_a_bad_recipe_stops_render_before_any_work(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(DEMO.replace("num_perm = 128", "num_perm = 0"))
    result = CliRunner().invoke(main, ["render", "--recipe", str(path), "--workdir", str(tmp_path / "w")])
    assert result.exit_code == 2 and "num_perm" in result.output
    assert not (tmp_path / "w").exists()  # nothing was read or written


def test_a_folder_named_like_a_bundled_recipe_does_not_shadow_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo").mkdir()
    assert load_recipe("demo").path == recipes_dir() / "demo.toml"


def test_task_tables_override_the_recipe_sections_key_by_key() -> None:
    recipe = load_recipe("demo")
    sa, prp = recipe.task("SA"), recipe.task("PRP")
    assert (sa.dedup.unit, sa.dedup.ngram, sa.dedup.num_perm) == ("word", 3, recipe.dedup.num_perm)
    assert (prp.dedup.unit, prp.dedup.ngram) == (recipe.dedup.unit, recipe.dedup.ngram)
    assert sa.filters.min_words == {"review": 10} and prp.filters.min_words == {}
    assert recipe.task("QPR").params.lists_per_query == 2 and recipe.task("QPR").clean.nfkd_ascii


def test_categories_are_checked_against_the_fetched_tables(demo_workdir: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    # a category the recipe's sources list (so the recipe is valid) but the fetched tables lack
    path.write_text(
        DEMO.replace(
            '"Tools_and_Home_Improvement"]\n\n[sources.amazon2014]',
            '"Tools_and_Home_Improvement", "Toys"]\n\n[sources.amazon2014]',
        ).replace(
            '[tasks.PRP]\nind_categories = ["Electronics"',
            '[tasks.PRP]\nind_categories = ["Toys", "Electronics"',
        )
    )
    assert load_recipe(str(path)).task("PRP").ind_categories[0] == "Toys"
    result = CliRunner().invoke(main, ["check", str(path), "--workdir", str(demo_workdir)])
    assert result.exit_code == 2
    assert re.search(
        r"tasks\.PRP names category 'Toys', which the fetched amazon2018_meta do not have", result.output
    )


def test_recipe_reference_is_current() -> None:
    committed = (Path(__file__).parents[1] / "docs" / "recipe.md").read_text(encoding="utf-8")
    assert committed == reference(), (
        "docs/recipe.md is stale: python -m ecinstruct_builder.recipe_docs docs/recipe.md"
    )


def test_every_recipe_key_is_documented() -> None:
    text = reference()
    for key in (
        "fractions",
        "holdout_cap",
        "min_confidence",
        "num_perm",
        "cross_task",
        "review_max_lines",
        "locales",
    ):
        assert f"| `{key}` |" in text
    with pytest.raises(RecipeError):
        load_recipe("no-such-recipe")
