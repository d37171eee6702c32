"""Where a key result's number lives (an HTTP JSON answer, a published sheet, SQL, Prometheus), and reading it."""
