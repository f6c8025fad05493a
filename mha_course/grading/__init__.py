"""The classroom grader's parts; ``mha_course.grade`` puts them together.

- ``course``: read the course's exercise notebooks (parts, check cells, passing lines).
- ``submission``: read a learner's notebook and take out their answer cells.
- ``tamper``: a static scan of answer cells for code that reaches into the grading.
- ``compare``: nbval's own output comparison, called outside pytest.
- ``kernel``: one kernel running cells of several notebooks in turn.
- ``runner``: run a learner's notebooks in that kernel and score each part.
- ``results`` and ``report``: the verdicts, the flags, the CSV and the feedback.

Nothing here prints; the command line lives in ``mha_course.grade``.
"""
