"""Scores and reports: span F1, multi-label sentence metrics, metrics.json and eval_report.md."""
