"""Evaluation on labelled data: retrieval, answers, abstention and the verifier, with a readable report.

`assistant eval retrieval|qa|verify|answers` (assistant/cli/eval.py) loads questions (`items`,
`shared`), runs one or two configurations with per-question results cached for resuming (`cache`),
scores them (`metrics`, `stats` for bootstrap intervals) and writes report.md, report.json and PNG
plots (`report`, `plots`)."""
