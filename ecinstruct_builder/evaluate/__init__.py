"""`ecbuild eval`: the reference scorer for ECInstruct-style predictions.

parsers (free text -> structured answer), metrics (pure functions), tasks (what each task reads
and scores), gold (where gold rows come from), predictions (prediction files), scorer (joining and
scoring), report (terminal view), paper (the eCeLLM paper's numbers), neural (optional BERTScore /
BLEURT), command (the click command).
"""
