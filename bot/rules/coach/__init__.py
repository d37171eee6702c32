"""The KR quality coach: objectives and key results read the way a good OKR coach would, as a table of rules."""
