"""okrbot's product, one layer per folder (CONTRIBUTING.md): answers, jobs, okr_files, views, reports, slack, rules."""
