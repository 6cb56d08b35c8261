"""Personal data: contact details in text replaced and counted, reviewer ids published as keyed pseudonyms."""

from pathlib import Path

import polars as pl
import pytest

from ecinstruct_builder.clean.privacy import scrub_columns
from ecinstruct_builder.report import BuildReport, from_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail me at jane.doe+x@example.co.uk please", "mail me at [email] please"),
        ("see https://shop.example.com/item?id=3 or www.example.org", "see [url] or [url]"),
        ("order 112-1234567-7654321 arrived late", "order [order number] arrived late"),
        ("call (555) 123-4567 or +1 555.123.4567", "call [phone] or [phone]"),
        ("size 10-12 fits, 3.5 x 2 in, model 2019-05", "size 10-12 fits, 3.5 x 2 in, model 2019-05"),
    ],
)
def test_personal_data_becomes_a_placeholder(text: str, expected: str) -> None:
    out, _ = scrub_columns(pl.DataFrame({"review": [text]}), ("review",))
    assert out["review"][0] == expected


def test_replacements_are_counted_per_kind_in_strings_and_lists() -> None:
    frame = pl.DataFrame(
        {
            "review": ["a@b.com and c@d.org", None, "no data here"],
            "snippets": [["visit www.x.com"], [], ["call 555-123-4567", "a@b.com"]],
        }
    )
    out, counts = scrub_columns(frame, ("review", "snippets"))
    assert counts == {"email": 3, "url": 1, "order_number": 0, "phone": 1}
    assert out["snippets"].to_list() == [["visit [url]"], [], ["call [phone]", "[email]"]]
    assert out["review"].to_list() == ["[email] and [email]", None, "no data here"]


def test_sr_publishes_no_raw_reviewer_id(demo_workdir: Path) -> None:
    ratings = pl.read_parquet(demo_workdir / "sources" / "amazon2018_ratings.parquet")
    users = set(ratings["user"].unique())
    rows = pl.read_parquet(demo_workdir / "dataset" / "Sequential_Recommendation.parquet")
    published = {part for ids in rows["source_ids"].to_list() for key in ids for part in key.split(":")}
    assert published and not published & users
    report = from_json(BuildReport, (demo_workdir / "reports" / "build.json").read_text())
    assert set(report.tasks["SA"].clean.scrubbed) == {"email", "url", "order_number", "phone"}
