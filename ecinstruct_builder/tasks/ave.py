"""Attribute Value Extraction: the values of target attributes, and where they occur, in MAVE product text."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import polars as pl

from .base import AnswerFormat, GroupedCandidates, PaperResult, TaskBuilder, stable_id_expr

if TYPE_CHECKING:
    from ..config import TaskConfig

# What ECInstruct writes as value and source of an attribute that has no evidence (a MAVE negative).
NO_EVIDENCE = "None"
SECTIONS = pl.List(pl.Struct({"key": pl.String, "text": pl.String}))


def numbered(frame: pl.LazyFrame, column: str, index: str, keep_empty: bool = False) -> pl.LazyFrame:
    """One row per element of list `column`, with its 0-based position in `index`.

    With `keep_empty`, an empty list gives one row whose element and position are null.
    """
    positions = pl.int_ranges(0, pl.col(column).list.len()).alias(index)
    return frame.with_columns(positions).explode([column, index], empty_as_null=keep_empty)


def json_string(text: pl.Expr) -> pl.Expr:
    """The JSON literal of a string, escaped as `json.dumps(..., ensure_ascii=False)` does."""
    return pl.struct(text.alias("s")).struct.json_encode().str.strip_prefix('{"s":').str.strip_suffix("}")


def paragraph_sources(lines: pl.LazyFrame) -> pl.LazyFrame:
    """(row, pid, text, source) for every paragraph that names its source."""
    paragraphs = numbered(lines.select("row", "paragraphs"), "paragraphs", "pid").unnest("paragraphs")
    return paragraphs.filter(pl.col("source").is_not_null())


def sections(paragraphs: pl.LazyFrame) -> pl.LazyFrame:
    """(row, sections): per line, the texts of each paragraph source joined with ", ", keyed
    "product <source>", in the order the sources first appear."""
    # Polars keeps the row order inside each group, so texts stay in paragraph order. Collecting
    # lists and joining them afterwards is much faster than a string-join aggregation.
    by_source = paragraphs.group_by("row", "source").agg(first=pl.col("pid").min(), text=pl.col("text"))
    section = pl.struct(key=pl.lit("product ") + pl.col("source"), text=pl.col("text").list.join(", "))
    return (
        by_source.select("row", "first", section=section)
        .group_by("row")
        .agg(sections=pl.col("section").sort_by("first"))
    )


def labels(lines: pl.LazyFrame, paragraphs: pl.LazyFrame) -> pl.LazyFrame:
    """(row, label, malformed): the JSON list of unique lowercased {attribute, value, source} triples.

    `malformed` marks lines with an unnamed attribute or an evidence whose value is missing or whose
    `pid` names no paragraph with a source; such a line has no trustworthy label.
    """
    attributes = numbered(lines.select("row", "attributes"), "attributes", "aid").unnest("attributes")
    evidence = numbered(attributes, "evidences", "eid", keep_empty=True).unnest("evidences")
    has_evidence = pl.col("eid").is_not_null()
    triples = evidence.join(paragraphs.select("row", "pid", "source"), on=["row", "pid"], how="left").select(
        "row",
        "aid",
        "eid",
        attribute=pl.col("key").str.to_lowercase(),
        value=pl.when(has_evidence).then(pl.col("value").str.to_lowercase()).otherwise(pl.lit(NO_EVIDENCE)),
        source=pl.when(has_evidence)
        .then((pl.lit("product ") + pl.col("source")).str.to_lowercase())
        .otherwise(pl.lit(NO_EVIDENCE)),
    )
    # json.dumps layout: ", " between items and ": " after keys.
    triple_json = pl.concat_str(
        pl.lit('{"attribute": '),
        json_string(pl.col("attribute")),
        pl.lit(', "value": '),
        json_string(pl.col("value")),
        pl.lit(', "source": '),
        json_string(pl.col("source")),
        pl.lit("}"),
    )
    return (
        triples.sort("row", "aid", "eid")
        .unique(["row", "attribute", "value", "source"], keep="first", maintain_order=True)
        .group_by("row")
        .agg(
            triple_json.alias("triples"),
            malformed=pl.any_horizontal(pl.col("attribute", "value", "source").is_null()).any(),
        )
        .select("row", "malformed", label=pl.lit("[") + pl.col("triples").list.join(", ") + pl.lit("]"))
    )


def _with_attributes(mave: pl.LazyFrame) -> pl.LazyFrame:
    """The lines that name attributes: a line without any has nothing to extract."""
    return mave.filter(pl.col("attributes").list.len() > 0)


def _attribute_keys() -> pl.Expr:
    return pl.col("attributes").list.eval(pl.element().struct.field("key"))


def _domain() -> pl.Expr:
    """A line's domain: its first attribute key, lowercased (ECInstruct held out attribute keys)."""
    return _attribute_keys().list.first().str.to_lowercase()


class AttributeValueExtraction(TaskBuilder):
    abbr = "AVE"
    name = "Attribute_Value_Extraction"
    title = "Attribute Value Extraction"
    group = "product understanding"
    order = 1
    definition = (
        "Read a product's title, description, features and brand and extract the value of each "
        "target attribute, naming the field it came from."
    )
    answer_format = AnswerFormat.JSON_TRIPLES
    output_shape = (
        "JSON list of `{attribute, value, source}` objects; value and source are `None` when the "
        "attribute is not mentioned"
    )
    metrics = ("precision", "recall", "f1")
    primary_metric = "f1"
    scoring = "precision, recall, F1 over triples (lenient matching on OOD)"
    paper = PaperResult(
        "f1", "F1*", ind=(0.582, 0.662, 0.509, 0.495, 0.546), ood=(0.335, 0.367, 0.302, 0.397, 0.269)
    )
    tables = ("mave",)
    fields: ClassVar[dict[str, pl.DataType]] = {"sections": SECTIONS, "target_attributes": pl.String}
    # ECInstruct's AVE OOD test holds out whole attribute keys (the domain), not categories.
    ood_axis = "holdout"
    text_fields = ("target_attributes",)
    # one MAVE product gives one line per attribute: the same text with another attribute is not
    # a duplicate, so duplicates are looked for within an attribute
    dedup_partition = "domain"

    def build(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> pl.LazyFrame:
        return self._candidates(tables["mave"])

    def grouped(self, tables: dict[str, pl.LazyFrame], config: TaskConfig, seed: int) -> GroupedCandidates:
        """Keys from the attribute keys of every line (a product is a group)."""
        keys = (
            _with_attributes(tables["mave"])
            .select(group_key="id", domain=_domain(), official_split="split")
            .collect()
        )
        return GroupedCandidates(
            keys, lambda groups: self._candidates(tables["mave"].filter(pl.col("id").is_in(groups.implode())))
        )

    def _candidates(self, mave: pl.LazyFrame) -> pl.LazyFrame:
        # The row number is a join key only.
        lines = _with_attributes(mave).with_row_index("row")
        paragraphs = paragraph_sources(lines)
        keys = _attribute_keys()
        section_lines = pl.col("sections").list.eval(
            pl.concat_str(pl.element().struct.field("key"), pl.element().struct.field("text"), separator=": ")
        )
        examples = (
            lines.join(sections(paragraphs), on="row", how="left")
            .join(labels(lines, paragraphs), on="row")
            .filter(~pl.col("malformed"))
            .with_columns(
                pl.col("sections").fill_null(pl.lit(pl.Series([[]], dtype=SECTIONS))),
                target_attributes=keys.list.join(" and "),
            )
            .sort("id", "split", "polarity", "line", maintain_order=True)
        )
        return examples.select(
            candidate_id=stable_id_expr(self.abbr, "split", "polarity", "line", "id"),
            source=pl.lit("mave"),
            source_ids=pl.concat_list(
                pl.concat_str("split", "polarity", pl.col("line"), separator=":", ignore_nulls=True)
            ),
            product_id=pl.col("id"),
            category=pl.col("category"),
            domain=_domain(),
            group_key=pl.col("id"),
            content_key=pl.concat_list(
                section_lines, pl.lit("target attributes: ") + pl.col("target_attributes")
            ).list.join("\n"),
            official_split=pl.col("split"),
            label=pl.col("label"),
            options=pl.lit(pl.Series([[]], dtype=pl.List(pl.String))),
            sections=pl.col("sections"),
            target_attributes=pl.col("target_attributes"),
        ).cast(self.schema())
