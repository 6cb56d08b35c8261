import json
import random
from collections import Counter

import pytest
from esci_amazonqa_rows import build, esci_row

from ecinstruct_builder.errors import RecipeError
from ecinstruct_builder.split import assign_buckets
from ecinstruct_builder.tasks.qpr import QueryProductRank
from ecinstruct_builder.templates import load_templates, render_fields

QPR = QueryProductRank()
RELEVANCE = "ESCI"


def query(query_id: int, labels: str, **overrides) -> list[dict]:
    """One row per product of a query; example ids are query_id * 10 + position."""
    return [esci_row(query_id * 10 + i, query_id, label, **overrides) for i, label in enumerate(labels)]


def option_labels(row: dict) -> list[str]:
    return json.loads(row["labels"])


def test_label_orders_the_option_letters_from_exact_to_irrelevant():
    out = build(QPR, [row for q in range(1, 30) for row in query(q, "ESCI")])
    for row in out.iter_rows(named=True):
        labels = option_labels(row)
        letters = [chr(ord("A") + i) for i in range(len(labels))]
        expected = sorted(letters, key=lambda letter: RELEVANCE.index(labels[ord(letter) - ord("A")]))
        assert row["label"] == ",".join(expected)
        assert [item.split(": ")[0] for item in row["product_list"]] == letters
    assert {row["label"] for row in out.iter_rows(named=True)} >= {"A,B", "B,A"}  # the order is shuffled


def test_two_label_query_gives_the_exact_product_first():
    row = build(QPR, query(1, "IE")).row(0, named=True)  # products 10 (I) and 11 (E)
    assert row["product_list"] == [
        f"{letter}: Title {eid}" for letter, eid in zip("AB", row["source_ids"], strict=True)
    ]
    letter_of = {label: letter for letter, label in zip("AB", option_labels(row), strict=True)}
    assert letter_of == {
        "E": "A" if row["source_ids"][0] == "11" else "B",
        "I": "A" if row["source_ids"][0] == "10" else "B",
    }
    assert row["label"] == f"{letter_of['E']},{letter_of['I']}"


def test_every_query_gets_one_list_per_length_it_admits():
    rows = query(1, "ESCI") + query(2, "SCI") + query(3, "EI") + query(4, "EEE")
    out = build(QPR, rows, seed=7)
    lengths: dict[str, list[int]] = {}
    for group, ids in zip(out["group_key"], out["source_ids"], strict=True):
        lengths.setdefault(group, []).append(len(ids))
    assert {g: sorted(v) for g, v in lengths.items()} == {"1": [2, 3, 4], "2": [2, 3], "3": [2]}


def authors_lengths(pool: dict[int, dict[str, list[int]]], lists: int, rng: random.Random) -> Counter:
    """The authors' loop, written out: random query, random length, retry; distinct product sets."""
    queries = sorted(pool)
    seen: set[tuple[int, ...]] = set()
    lengths: Counter = Counter()
    while sum(lengths.values()) < lists:
        query_id = rng.choice(queries)
        length = rng.randint(2, 4)
        products = pool[query_id]
        if len(products) < length:
            continue
        labels = rng.sample(sorted(products), length)
        chosen = tuple(sorted(rng.choice(products[label]) for label in labels))
        if chosen not in seen:
            seen.add(chosen)
            lengths[length] += 1
    return lengths


def esci_like_pool(queries: int, rng: random.Random) -> dict[int, dict[str, list[int]]]:
    """Queries whose number of distinct judgements is spread as in ESCI's small set (1 to 4)."""
    pool = {}
    for query_id in range(1, queries + 1):
        kinds = rng.choices([1, 2, 3, 4], weights=[10, 57, 36, 7])[0]
        labels = rng.sample("ESCI", kinds)
        pool[query_id] = {
            label: [query_id * 100 + i * 10 + k for k in range(rng.randint(1, 3))]
            for i, label in enumerate(labels)
        }
    return pool


def shares(lengths: Counter) -> dict[int, float]:
    total = sum(lengths.values())
    return {length: 100 * lengths[length] / total for length in (2, 3, 4)}


@pytest.mark.parametrize("row_level", [False, True], ids=["grouped", "random"])
def test_length_shares_follow_the_authors_loop(row_level):
    pool = esci_like_pool(20_000, random.Random(3))
    rows = [
        esci_row(example_id, query_id, label)
        for query_id, products in pool.items()
        for label, ids in products.items()
        for example_id in ids
    ]
    wanted = 4_000
    # Selection takes whole queries (random split mode: single lists) in its task-salted order
    # until the quota is met.
    ordered = assign_buckets(build(QPR, rows, seed=5), 5, QPR.abbr, row_level)
    taken = ordered.sort("order", "candidate_id").head(wanted)
    ours = Counter(len(ids) for ids in taken["source_ids"])
    theirs = authors_lengths(pool, wanted, random.Random(1))
    for length, share in shares(theirs).items():
        assert shares(ours)[length] == pytest.approx(share, abs=2), (shares(ours), shares(theirs))
    # The weighting matters: a uniform length per query would give far fewer long lists.
    assert shares(ours)[2] < 70


def test_each_list_has_distinct_labels_and_one_product_per_label():
    # Three exact products and one irrelevant one: every list is one E plus the I.
    out = build(QPR, query(1, "EEEI"), lists_per_query=6)
    assert all(sorted(option_labels(row)) == ["E", "I"] for row in out.iter_rows(named=True))
    assert all("13" in row["source_ids"] for row in out.iter_rows(named=True))
    assert out.height > 1  # the exact product shown is drawn, not always the same one


def test_queries_with_a_single_label_and_rows_outside_the_small_set_are_skipped():
    rows = query(1, "EEE") + query(2, "ES", small_version=0) + query(3, "EI")
    rows += query(4, "CI", product_locale="es")
    rows.append(esci_row(50, 5, "E"))
    rows.append(esci_row(51, 5, "S", small_version=0))  # query 5 has one label left in the small set
    assert build(QPR, rows)["group_key"].to_list() == ["3"]


def test_more_lists_per_query_skip_repeated_product_sets():
    single = build(QPR, query(1, "ESCI") + query(2, "ES"))
    assert single["group_key"].to_list() == ["1", "1", "1", "2"]  # lengths 2, 3, 4 for query 1
    several = build(QPR, query(1, "EESSCCII") + query(2, "ES"), lists_per_query=5)
    sets = [frozenset(ids) for ids in several["source_ids"].to_list()]
    assert len(sets) == len(set(sets))
    assert several["group_key"].to_list().count("2") == 1  # query 2 can only make one product set
    assert several["group_key"].to_list().count("1") > 1


@pytest.mark.parametrize("value", [0, -1, "2", True])
def test_lists_per_query_must_be_a_positive_integer(value):
    with pytest.raises(RecipeError, match="lists_per_query must be an integer"):
        build(QPR, query(1, "ES"), lists_per_query=value)


def test_keys_lineage_and_split():
    out = build(QPR, query(3, "SE", split="test") + query(4, "CE"))
    first = out.row(0, named=True)
    assert first["group_key"] == "3" and first["official_split"] == "test"
    assert first["product_id"] == f"P{first['source_ids'][0]}"
    assert first["query"] == "query 3"
    assert first["content_key"] == "query 3\n" + "\n".join(first["product_list"])
    assert first["domain"] is None and first["options"] == []
    assert out["official_split"].to_list() == ["test", "train"]


def test_deterministic_for_a_seed_and_different_across_seeds():
    rows = [row for q in range(1, 21) for row in query(q, "ESCI")]
    first, second, reordered = build(QPR, rows), build(QPR, rows), build(QPR, rows[::-1])
    assert first.equals(second) and first.equals(reordered)
    assert first.schema == QPR.schema()
    assert first["candidate_id"].n_unique() == first.height
    assert not first["source_ids"].equals(build(QPR, rows, seed=2)["source_ids"])


def test_row_renders_through_the_template():
    rows = [
        esci_row(1, 1, "I", query="hiking boots", product_title="Trail shoe"),
        esci_row(2, 1, "E", query="hiking boots", product_title="Waterproof hiking boot"),
    ]
    row = build(QPR, rows).row(0, named=True)
    rendered = render_fields(load_templates("QPR").compiled(), row)
    assert json.loads(rendered["input"]) == {"query": "hiking boots", "product list": row["product_list"]}
    assert rendered["input"].startswith('{"query": "hiking boots", "product list": ["A: ')
    assert rendered["options"] == ""
    assert rendered["output"] == row["label"]
    titles = dict(item.split(": ", 1) for item in row["product_list"])
    assert titles[row["label"][0]] == "Waterproof hiking boot"
    assert row["labels"] in ('["E", "I"]', '["I", "E"]')


@pytest.mark.parametrize("language_on", ["lists", "rows"])
def test_the_language_filter_can_judge_the_rows_before_lists_are_drawn(monkeypatch, language_on):
    # a stand-in engine that calls "Titre" titles French; query 1's second exact product is one
    def detect(engine, seed):
        return lambda texts: [("fr", 1.0) if t.startswith("Titre") else ("en", 1.0) for t in texts]

    monkeypatch.setattr("ecinstruct_builder.clean.filters.detector", detect)
    rows = [*query(1, "ESCI"), esci_row(15, 1, "E", product_title="Titre 15")]
    language = {"engine": "langdetect", "min_words": 0, "min_confidence": 0.0}
    out = build(QPR, rows, filters={"language": language}, language_on=language_on, lists_per_query=8)
    shown = {example for ids in out["source_ids"] for example in ids}
    # judged by rows, the French product never enters a list and every length stays possible
    assert ("15" in shown) is (language_on == "lists")
    assert {len(ids) for ids in out["source_ids"]} == {2, 3, 4}


def test_text_key_makes_ids_sharing_a_query_text_one_query():
    rows = query(1, "EI", query="usb cable") + query(2, "SC", query="usb cable") + query(3, "ES")
    by_id = build(QPR, rows)
    by_text = build(QPR, rows, query_key="text")
    assert sorted(by_id["group_key"].to_list()) == ["1", "2", "3"]
    lengths: dict[str, list[int]] = {}
    for group, ids in zip(by_text["group_key"], by_text["source_ids"], strict=True):
        lengths.setdefault(group, []).append(len(ids))
    assert {g: sorted(v) for g, v in lengths.items()} == {"1": [2, 3, 4], "3": [2]}


def test_text_keyed_length_shares_follow_the_authors_loop_over_texts():
    # Many ids share a text (as in the synthetic ESCI); the notebook drew query texts.
    rng = random.Random(4)
    pool = esci_like_pool(20_000, rng)
    text_of = {query_id: f"query {rng.randint(1, 12_000)}" for query_id in pool}
    rows = [
        esci_row(example_id, query_id, label, query=text_of[query_id])
        for query_id, products in pool.items()
        for label, ids in products.items()
        for example_id in ids
    ]
    by_text: dict[str, dict[str, list[int]]] = {}
    for query_id, products in pool.items():
        merged = by_text.setdefault(text_of[query_id], {})
        for label, ids in products.items():
            merged.setdefault(label, []).extend(ids)
    texts = {text: index for index, text in enumerate(sorted(by_text))}
    wanted = 4_000
    ordered = assign_buckets(build(QPR, rows, seed=5, query_key="text"), 5, QPR.abbr, True)
    ours = Counter(len(ids) for ids in ordered.sort("order", "candidate_id").head(wanted)["source_ids"])
    theirs = authors_lengths({texts[t]: p for t, p in by_text.items()}, wanted, random.Random(1))
    for length, share in shares(theirs).items():
        assert shares(ours)[length] == pytest.approx(share, abs=2), (shares(ours), shares(theirs))
