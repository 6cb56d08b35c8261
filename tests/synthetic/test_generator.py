"""The synthetic source generator: determinism, upstream file names and formats, quirks, scale."""

from __future__ import annotations

import ast
import csv
import gzip
import io
import json
import re
import statistics
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from langdetect import DetectorFactory, detect

from ecinstruct_builder.cli import main as cli_main
from ecinstruct_builder.errors import SourceFileError
from ecinstruct_builder.paths import raw_sources_dir
from ecinstruct_builder.sources import adapters
from ecinstruct_builder.sources.layout import SYNTHETIC_MARKER, synthetic_origin
from ecinstruct_builder.synthetic import PLANTED_BAD_LINES, generate
from ecinstruct_builder.synthetic.__main__ import main
from ecinstruct_builder.synthetic.amazon2018 import FIVE_CORE_CATEGORIES
from ecinstruct_builder.synthetic.common import Profile, lfs_pointer
from ecinstruct_builder.synthetic.text import FOREIGN_SENTENCES

CATEGORIES_2018 = ("Electronics", "Home_and_Kitchen", "Sports_and_Outdoors", "Tools_and_Home_Improvement")
META_2018_FIELDS = {
    "category", "tech1", "description", "fit", "title", "also_buy", "tech2", "brand", "feature", "rank",
    "also_view", "main_cat", "similar_item", "date", "price", "asin", "imageURL", "imageURLHighRes",
    "details",
}  # fmt: skip
AMAZONQA_FIELDS = {
    "asin", "category", "questionText", "questionType", "review_snippets", "answers", "is_answerable", "qid",
    "top_sentences_IR", "top_review_wilson", "top_review_helpful", "random_sentence",
}  # fmt: skip
ESCI_EXAMPLES_SCHEMA = {
    "example_id": pl.Int64, "query": pl.String, "query_id": pl.Int64, "product_id": pl.String,
    "product_locale": pl.String, "esci_label": pl.String, "small_version": pl.Int64,
    "large_version": pl.Int64, "split": pl.String,
}  # fmt: skip
ESCI_PRODUCTS_SCHEMA = {
    "product_id": pl.String, "product_title": pl.String, "product_description": pl.String,
    "product_bullet_point": pl.String, "product_brand": pl.String, "product_color": pl.String,
    "product_locale": pl.String,
}  # fmt: skip
CSV_FIELDS = {
    **{f"amazon2018/{c}.csv": 4 for c in CATEGORIES_2018},
    "esci/shopping_queries_dataset_sources.csv": 2,
    "amazon_google/Amazon.csv": 5,
    "amazon_google/GoogleProducts.csv": 5,
    "amazon_google/Amzon_GoogleProducts_perfectMapping.csv": 2,
}


def upstream_files(out: Path) -> set[str]:
    """Every file some registered adapter reads under `out` (default options), as relative paths,
    and the 5-core review files, which are read only when the full file is absent."""
    read = {
        file.path.relative_to(out).as_posix()
        for name, adapter in adapters().items()
        for file in adapter.discover(out / name, {})
    }
    return read | {f"amazon2018/{category}_5.json.gz" for category in FIVE_CORE_CATEGORIES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out)


def files_under(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def raw_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).splitlines()


def parsed(path: Path, parse=json.loads) -> tuple[list, int]:
    """The records of a line-oriented file that parse, and how many lines did not."""
    good, bad = [], 0
    for line in raw_lines(path):
        try:
            good.append(parse(line.decode("utf-8")))
        except (ValueError, SyntaxError):
            bad += 1
    return good, bad


def csv_records(path: Path, header: bool) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("latin-1"))))
    return rows[1:] if header else rows


def decoded(path: Path) -> bytes:
    """File content independent of the compressor's and Parquet writer's versions."""
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes())
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
        return repr(frame.schema).encode() + frame.write_csv().encode()
    return path.read_bytes()


# --- determinism and layout ----------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(demo, tmp_path):
    out, rows = demo
    again = generate(tmp_path)
    assert again == rows
    first, second = files_under(out), files_under(tmp_path)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name].read_bytes() != second[name].read_bytes()] == []


def test_another_seed_changes_every_file(demo, tmp_path):
    out, _ = demo
    generate(tmp_path, seed=1)
    first, second = files_under(out), files_under(tmp_path)
    assert [name for name in first if decoded(first[name]) == decoded(second[name])] == []


def test_every_upstream_file_is_written_under_its_upstream_name(demo):
    out, rows = demo
    expected = upstream_files(out)
    assert {name.split("/")[0] for name in expected} == set(adapters())  # every source gets files
    assert set(rows) == expected
    # nothing else (e.g. no leftover temp files) but the marker saying how they were made
    assert set(files_under(out)) == expected | {SYNTHETIC_MARKER}
    marker = synthetic_origin(out)
    assert (marker["generator"], marker["scale"], marker["seed"]) == ("ecbuild synth", None, 0)
    assert marker["sources"] == {name: {"scale": None, "seed": 0} for name in adapters()}
    assert all(rows[name] > 0 for name in expected)


def test_gzip_headers_carry_no_name_or_time(demo):
    out, rows = demo
    for name in rows:
        if name.endswith(".gz"):
            header = (out / name).read_bytes()[:10]
            assert header[3] == 0, name  # FLG: no FNAME field
            assert header[4:8] == b"\0\0\0\0", name  # MTIME = 0


def test_row_counts_match_the_files(demo):
    out, rows = demo
    for name, count in rows.items():
        path = out / name
        if name.endswith(".parquet"):
            assert pl.read_parquet(path).height == count, name
        elif name in CSV_FIELDS:
            header = not name.startswith("amazon2018/")
            assert len(csv_records(path, header)) == count, name
        else:
            assert len(raw_lines(path)) == count, name


def test_committed_raw_sources_equal_a_fresh_generation(demo):
    out, _ = demo
    committed = {k: v for k, v in files_under(raw_sources_dir()).items() if k != "README.md"}
    fresh = files_under(out)
    assert committed.keys() == fresh.keys(), "run: python -m ecinstruct_builder.synthetic --out raw_sources"
    stale = [name for name in fresh if decoded(committed[name]) != decoded(fresh[name])]
    assert stale == [], "raw_sources/ is stale; regenerate it with python -m ecinstruct_builder.synthetic"


def test_bundled_samples_stay_small():
    assert sum(p.stat().st_size for p in raw_sources_dir().rglob("*") if p.is_file()) < 3_000_000


# --- planted malformed lines -----------------------------------------------------------------------


def test_planted_bad_lines_are_exactly_the_unreadable_records(demo):
    out, rows = demo
    assert sum(PLANTED_BAD_LINES.values()) == 10
    for name in rows:
        path = out / name
        if name.endswith(".parquet"):
            continue
        if name in CSV_FIELDS:
            records = csv_records(path, header=not name.startswith("amazon2018/"))
            bad = sum(len(record) != CSV_FIELDS[name] for record in records)
        else:
            parse = ast.literal_eval if name.startswith("amazon2014/") else json.loads
            bad = parsed(path, parse)[1]
        assert bad == PLANTED_BAD_LINES.get(name, 0), name


def test_planted_lines_cover_truncation_junk_and_field_count(demo):
    out, _ = demo
    reviews = raw_lines(out / "amazon2018/Electronics.json.gz")
    broken = [line for line in reviews if not line.endswith(b"}")]
    assert len(broken) == 2
    assert any(line.startswith(b'{"overall"') for line in broken)  # a record cut short
    assert any(line.startswith(b"\x00\xff\xfe") for line in broken)  # bytes that are not text
    short = [r for r in csv_records(out / "amazon2018/Home_and_Kitchen.csv", header=False) if len(r) != 4]
    assert [len(r) for r in short] == [3]


# --- Amazon 2018 / 2014 / 2023 -------------------------------------------------------------------


def test_2018_meta_has_nineteen_fields_and_upstream_quirks(demo):
    out, _ = demo
    records = [r for c in CATEGORIES_2018 for r in parsed(out / f"amazon2018/meta_{c}.json.gz")[0]]
    assert all(set(r) in (META_2018_FIELDS, META_2018_FIELDS - {"details"}) for r in records)
    assert any("details" not in r for r in records)
    assert {type(r["rank"]) for r in records} == {str, list}
    assert {type(r["tech1"]) for r in records} == {str, dict}
    assert any(r["main_cat"].startswith("<img ") and 'alt="' in r["main_cat"] for r in records)
    assert any("&quot;" in r["title"] for r in records) and any("&amp;" in r["title"] for r in records)
    assert any("" in r["description"] for r in records)
    prices = {r["price"] for r in records}
    assert "" in prices and any(re.fullmatch(r"\$[\d,]+\.\d\d", p) for p in prices)
    assert any(re.fullmatch(r"\$[\d,.]+ - \$[\d,.]+", p) for p in prices)
    assert any(r["title"] == "" for r in records)


def test_2018_meta_has_the_debris_entities_html_dates_and_exact_duplicates_of_real_files(demo):
    out, _ = demo
    files = [out / f"amazon2018/meta_{c}.json.gz" for c in CATEGORIES_2018]
    records = [r for path in files for r in parsed(path)[0]]
    lines = [line for path in files for line in raw_lines(path)]
    titles = {r["title"] for r in records}
    assert {'<span class="a-size-medium a-color-secondary"', '" Magazines" />'} <= titles
    assert any("&amp;" in crumb for r in records for crumb in r["category"])  # `Fashion &amp; Style`
    assert any(r["date"].startswith("<div class=") for r in records)
    repeated = [line for line, count in Counter(lines).items() if count > 1 and line.startswith(b"{")]
    assert repeated  # the very same line twice, not only the same ASIN


def test_2018_reviews_are_shared_across_variants_of_one_family(demo):
    out, _ = demo
    reviews = [r for c in CATEGORIES_2018 for r in parsed(out / f"amazon2018/{c}.json.gz")[0]]
    asins_per_review = Counter((r["reviewerID"], r.get("reviewText")) for r in reviews)
    shared = [key for key, count in asins_per_review.items() if count > 1 and key[1]]
    assert len(shared) > 20
    by_key: dict[tuple, set[str]] = {}
    for r in reviews:
        by_key.setdefault((r["reviewerID"], r.get("reviewText")), set()).add(r["asin"])
    assert all(len(by_key[key]) > 1 for key in shared[:20])  # listed under different ASINs


def test_the_5_core_file_holds_the_reviews_of_items_with_five_or_more(demo):
    out, _ = demo
    full = parsed(out / "amazon2018/Electronics.json.gz")[0]
    core = parsed(out / "amazon2018/Electronics_5.json.gz")[0]
    counts = Counter(r["asin"] for r in full)
    assert core == [r for r in full if counts[r["asin"]] >= 5]
    assert 0 < len(core) < len(full)


def test_2018_meta_links_point_inside_the_category(demo):
    out, _ = demo
    records = parsed(out / "amazon2018/meta_Electronics.json.gz")[0]
    asins = Counter(r["asin"] for r in records)
    assert max(asins.values()) == 2  # duplicate ASIN rows
    similar = [r["similar_item"] for r in records if r["similar_item"]]
    assert similar and all("comparison_table" in html for html in similar)
    # The way the eCeLLM notebook reads this field: the 10 characters after "asin=".
    linked = {s[1:11] for html in similar for s in html.split("asin")[1:]}
    assert len(linked & asins.keys()) > 20
    also = [a for r in records for a in r["also_buy"] + r["also_view"]]
    inside = sum(a in asins for a in also) / len(also)
    assert 0.7 < inside < 0.95  # most partners are in the file, some are not


def test_2018_reviews_fields_votes_and_star_skew(demo):
    out, _ = demo
    reviews = [r for c in CATEGORIES_2018 for r in parsed(out / f"amazon2018/{c}.json.gz")[0]]
    assert all(isinstance(r["overall"], float) and isinstance(r["unixReviewTime"], int) for r in reviews)
    assert all(re.fullmatch(r"\d\d \d{1,2}, \d{4}", r["reviewTime"]) for r in reviews)
    assert any("," in r.get("vote", "") for r in reviews)  # "1,234"
    assert any("style" in r for r in reviews) and any("reviewText" not in r for r in reviews)
    stars = Counter(r["overall"] for r in reviews)
    assert 0.5 < stars[5.0] / len(reviews) < 0.7
    assert stars[1.0] > stars[2.0]  # J-shaped, as upstream
    words = [len(r["reviewText"].split()) for r in reviews if "reviewText" in r]
    assert 20 <= statistics.median(words) <= 60
    assert max(words) > 150 and min(words) < 10  # a long tail and some very short reviews


def test_2018_reviews_have_duplicates_foreign_and_garbled_text(demo):
    out, _ = demo
    reviews = [r for c in CATEGORIES_2018 for r in parsed(out / f"amazon2018/{c}.json.gz")[0]]
    # one review listed under several variants of a product counts once (see the test below)
    texts = [text for _, text in dict.fromkeys((r["reviewerID"], r.get("reviewText", "")) for r in reviews)]
    long_texts = Counter(t for t in texts if len(t.split()) >= 10)  # short ones repeat by nature
    repeated = sum(n - 1 for n in long_texts.values() if n > 1)
    assert 0.01 < repeated / long_texts.total() < 0.06  # ~2% copy-pasted reviews
    edited = [t for t in texts if t.endswith(" Update: still working fine.")]
    assert any(t.removesuffix(" Update: still working fine.") in long_texts for t in edited)  # edited copies
    foreign = [t for t in texts if any(s in t for s in FOREIGN_SENTENCES)]
    assert 0.005 < len(foreign) / len(texts) < 0.03
    assert any("â€™" in t or "Ã©" in t for t in texts)
    assert any("\ufffd" in t for t in texts)
    assert any("<br />" in t or "<p>" in t for t in texts)


def test_english_review_texts_are_detected_as_english(demo):
    out, _ = demo
    DetectorFactory.seed = 0
    texts = [r.get("reviewText", "") for r in parsed(out / "amazon2018/Sports_and_Outdoors.json.gz")[0]]
    english = [t for t in texts if len(t.split()) >= 10 and not any(s in t for s in FOREIGN_SENTENCES)]
    assert [t for t in english[:80] if detect(t) != "en"] == []
    foreign = [t for t in texts if any(s in t for s in FOREIGN_SENTENCES)]
    assert foreign and all(detect(t) != "en" for t in foreign)


def test_ratings_cover_meta_items_and_survive_five_core(demo):
    out, _ = demo
    for category in CATEGORIES_2018:
        meta = {r["asin"] for r in parsed(out / f"amazon2018/meta_{category}.json.gz")[0]}
        rows = [r for r in csv_records(out / f"amazon2018/{category}.csv", header=False) if len(r) == 4]
        assert {r[2] for r in rows} <= {"1.0", "2.0", "3.0", "4.0", "5.0"}
        assert 0.9 < sum(r[0] in meta for r in rows) / len(rows) < 1.0  # some items lack meta
        frame = pl.DataFrame(rows, schema=["item", "user", "rating", "ts"], orient="row")
        frame = frame.filter(pl.col("item").is_in(list(meta)))
        while True:  # iterative 5-core, as sequential recommendation does
            kept = frame.filter(pl.len().over("user") >= 5).filter(pl.len().over("item") >= 5)
            if kept.height == frame.height:
                break
            frame = kept
        assert 0.5 * len(rows) < frame.height < 0.95 * len(rows), category
        assert frame["user"].n_unique() >= 50


def test_2014_meta_is_python_literals_for_a_subset_of_2018_asins(demo):
    out, _ = demo
    for category in CATEGORIES_2018:
        path = out / f"amazon2014/meta_{category}.json.gz"
        records, _ = parsed(path, ast.literal_eval)
        assert parsed(path)[0] == []  # single quotes: strict JSON cannot read any line
        meta_2018 = parsed(out / f"amazon2018/meta_{category}.json.gz")[0]
        asins_2018 = {r["asin"] for r in meta_2018}
        shared = [r for r in records if r["asin"] in asins_2018]
        assert 0.25 < len(shared) / len(asins_2018) < 0.6 and len(shared) < len(records)
        assert all(isinstance(r["categories"][0], list) for r in records)
        assert any(isinstance(r.get("related", {}).get("also_bought"), list) for r in records)
        assert all(isinstance(r["salesRank"], dict) for r in records if "salesRank" in r)
        untitled = {r["asin"] for r in meta_2018 if r["title"] == ""}
        assert untitled <= {r["asin"] for r in records if r.get("title")}  # the fallback exists


def test_2023_reviews_join_meta_on_parent_asin(demo):
    out, _ = demo
    meta = parsed(out / "amazon2023/meta_Electronics.jsonl")[0]
    reviews = parsed(out / "amazon2023/Electronics.jsonl")[0]
    parents = {m["parent_asin"] for m in meta}
    assert all(r["timestamp"] > 10**12 for r in reviews)  # milliseconds
    assert 0.5 < sum(r["parent_asin"] in parents for r in reviews) / len(reviews) < 1.0
    assert {"main_category", "rating_number", "store", "details", "bought_together"} <= meta[0].keys()


# --- MAVE, ESCI, AmazonQA, Amazon-Google ----------------------------------------------------------


def test_mave_lines_have_one_attribute_and_exact_offsets(demo):
    out, _ = demo
    positives = parsed(out / "mave/mave_positives.jsonl")[0]
    negatives = parsed(out / "mave/mave_negatives.jsonl")[0]
    assert all(len(r["attributes"]) == 1 for r in positives + negatives)
    for record in positives:
        evidences = record["attributes"][0]["evidences"]
        assert evidences
        for e in evidences:
            assert record["paragraphs"][e["pid"]]["text"][e["begin"] : e["end"]] == e["value"]
    assert all(r["attributes"][0]["evidences"] == [] for r in negatives)
    keys = {r["attributes"][0]["key"] for r in positives + negatives}
    assert 15 <= len(keys) <= 25
    sources = {p["source"] for r in positives for p in r["paragraphs"]}
    assert sources == {"title", "description", "feature", "brand", "price"}


def test_esci_columns_dtypes_locales_and_label_mix(demo):
    out, _ = demo
    examples = pl.read_parquet(out / "esci/shopping_queries_dataset_examples.parquet")
    products = pl.read_parquet(out / "esci/shopping_queries_dataset_products.parquet")
    assert examples.schema == pl.Schema(ESCI_EXAMPLES_SCHEMA)
    assert products.schema == pl.Schema(ESCI_PRODUCTS_SCHEMA)
    assert set(examples["product_locale"]) == {"us", "es", "jp"}
    assert set(examples["split"]) == {"train", "test"} and set(examples["esci_label"]) == set("ESCI")
    us_examples = examples.filter(pl.col("product_locale") == "us")
    us_queries = us_examples.group_by("query_id").agg(pl.col("esci_label").n_unique().alias("labels"))
    assert 180 <= us_queries.height <= 220 and us_queries["labels"].min() >= 2
    joined = examples.join(products, on=["product_locale", "product_id"], how="left")
    assert joined["product_title"].null_count() == 0
    assert products["product_description"].null_count() > 0
    sources = csv_records(out / "esci/shopping_queries_dataset_sources.csv", header=True)
    assert sorted(int(q) for q, _ in sources) == sorted(examples["query_id"].unique())


def test_amazonqa_fields_and_product_disjoint_splits(demo):
    out, _ = demo
    splits = {s: parsed(out / f"amazonqa/{s}-qar.jsonl")[0] for s in ("train", "val", "test")}
    rows = [r for records in splits.values() for r in records]
    assert all(r.keys() == AMAZONQA_FIELDS for r in rows)
    assert {r["questionType"] for r in rows} == {"yesno", "descriptive"}
    assert {r["is_answerable"] for r in rows} == {0, 1}
    assert len({r["category"] for r in rows}) == 5
    helpful = [a["helpful"] for r in rows for a in r["answers"]]
    assert all(0 <= h <= total for h, total in helpful) and any(total == 0 for _, total in helpful)
    asins = {s: {r["asin"] for r in records} for s, records in splits.items()}
    assert len(asins["train"] | asins["val"] | asins["test"]) == sum(map(len, asins.values()))  # disjoint
    train_questions = Counter(r["questionText"] for r in splits["train"])
    assert 0.02 < sum(n - 1 for n in train_questions.values()) / len(splits["train"]) < 0.25
    assert len({r["qid"] for r in rows}) == len(rows)


def test_amazon_google_csvs_are_quoted_latin1_software_records(demo):
    out, _ = demo
    amazon_path, google_path = out / "amazon_google/Amazon.csv", out / "amazon_google/GoogleProducts.csv"
    with pytest.raises(UnicodeDecodeError):
        amazon_path.read_bytes().decode("utf-8")  # not clean UTF-8, like the original
    assert raw_lines(google_path)[0] == b'"id","name","description","manufacturer","price"'
    amazon = [r for r in csv_records(amazon_path, header=True) if len(r) == 5]
    google = csv_records(google_path, header=True)
    assert any("\n" in r[2] for r in amazon + google) and any("," in r[2] for r in amazon)
    assert any(r[4].endswith(" gbp") for r in google)
    assert len(google) > len({tuple(r) for r in google})  # exact duplicate records
    mapping = csv_records(out / "amazon_google/Amzon_GoogleProducts_perfectMapping.csv", header=True)
    assert {a for a, _ in mapping} <= {r[0] for r in amazon}
    assert {g for _, g in mapping} <= {r[0] for r in google}
    assert (len(amazon), len(google), len(mapping)) == (200, 300, 150)


# --- scale --------------------------------------------------------------------------------------


def test_profile_counts_demo_scaled_floor_and_cap():
    assert Profile().count(1_000_000, 300) == 300
    assert Profile(0.01).count(1_000_000, 300) == 10_000
    assert Profile(0.0001).count(1_000_000, 300) == 300  # the demo size is the floor
    assert Profile(2.0).count(1363, 200, cap_at_real=True) == 1363


def test_small_scale_writes_more_ratings_than_the_demo_and_is_fast(demo, tmp_path):
    _, demo_rows = demo
    started = time.monotonic()
    rows = generate(tmp_path, scale=0.0002)
    assert time.monotonic() - started < 30
    assert set(rows) == upstream_files(tmp_path)
    for category in CATEGORIES_2018:
        name = f"amazon2018/{category}.csv"
        assert rows[name] > 2 * demo_rows[name]
    assert rows["amazon_google/Amazon.csv"] == demo_rows["amazon_google/Amazon.csv"]


def test_bad_scale_is_refused(tmp_path):
    with pytest.raises(ValueError, match="scale must be positive"):
        generate(tmp_path, scale=0)
    result = CliRunner().invoke(main, ["--out", str(tmp_path / "x"), "--scale", "0"])
    assert result.exit_code != 0 and "--scale" in result.output
    assert not (tmp_path / "x").exists()


def test_an_lfs_pointer_in_place_of_a_bundled_file_stops_fetch_saying_so(tmp_path):
    source = tmp_path / "src"
    target = source / "esci" / "shopping_queries_dataset_products.parquet"
    target.parent.mkdir(parents=True)
    for path in (raw_sources_dir() / "esci").iterdir():
        (source / "esci" / path.name).write_bytes(path.read_bytes())
    target.write_bytes(lfs_pointer(target.read_bytes()))

    result = CliRunner().invoke(
        cli_main, ["fetch", "--quiet", "--workdir", str(tmp_path / "w"), "--source-dir", str(source)]
    )

    assert result.exit_code == SourceFileError.exit_code
    assert result.output.strip().splitlines() == [
        f"Error: {target}: is a Git LFS pointer, not the data; run `git lfs pull` in the clone it came from, "
        "or download the file itself from the source's homepage"
    ]


def test_one_source_can_be_written_alone_and_its_files_do_not_change(demo, tmp_path):
    out, rows = demo
    alone = generate(tmp_path, sources=("amazon_google",))
    assert alone == {name: n for name, n in rows.items() if name.startswith("amazon_google/")}
    assert {path.split("/")[0] for path in files_under(tmp_path)} == {"amazon_google", SYNTHETIC_MARKER}
    assert all((out / name).read_bytes() == (tmp_path / name).read_bytes() for name in alone)
    with pytest.raises(ValueError, match="unknown synthetic source 'amazon_googel'"):
        generate(tmp_path, sources=("amazon_googel",))


def test_the_marker_keeps_how_each_source_was_written_when_sources_are_written_one_by_one(tmp_path):
    generate(tmp_path, seed=3)
    assert synthetic_origin(tmp_path)["scale"] is None and synthetic_origin(tmp_path)["seed"] == 3
    generate(tmp_path, scale=0.001, seed=3, sources=("amazon_google",))
    marker = synthetic_origin(tmp_path)
    assert marker["sources"]["amazon_google"] == {"scale": 0.001, "seed": 3}
    assert marker["sources"]["esci"] == {"scale": None, "seed": 3}
    assert "scale" not in marker and "seed" not in marker  # the sources differ: no one setting
    generate(tmp_path, seed=3)  # writing every source again gives one setting
    assert synthetic_origin(tmp_path)["scale"] is None


def test_real_sized_amazon_google_repeats_36_gold_pairs_under_new_google_ids(tmp_path):
    rows = generate(tmp_path, scale=1.0, sources=("amazon_google",))
    folder = tmp_path / "amazon_google"
    google = {r[0]: tuple(r[1:]) for r in csv_records(folder / "GoogleProducts.csv", header=True)}
    mapping = csv_records(folder / "Amzon_GoogleProducts_perfectMapping.csv", header=True)
    # 1,363 Amazon records plus the planted bad line, 3,226 Google records, 1,300 gold pairs
    assert (rows["amazon_google/Amazon.csv"], rows["amazon_google/GoogleProducts.csv"]) == (1364, 3226)
    assert len(mapping) == 1300
    shown = [(a, google[g]) for a, g in mapping]  # a gold pair as it reads: the Amazon id and Google record
    assert len({g for _, g in mapping}) == 1300 and len(set(shown)) == 1300 - 36
