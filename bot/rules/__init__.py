"""Pure rules with no I/O: scores, values, validation, schedules, cadence, check-in weeks and the KR coach."""
