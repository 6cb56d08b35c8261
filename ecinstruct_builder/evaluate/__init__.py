"""`ecbuild eval`: the reference scorer for ECInstruct-style predictions.

parsers (free text -> structured answer), metrics (pure functions), tasks (how each answer format
is read and scored; one spec per registered task, from the task's own facts), gold (where gold rows
come from), predictions (prediction files), scorer (joining and scoring), report (terminal view),
paper (which of the paper's numbers, kept with each task, are shown), neural (optional BERTScore /
BLEURT), command (the click command).
"""
