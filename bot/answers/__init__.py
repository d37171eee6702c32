"""What a person gets back from okrbot: one Answer for each command, click and submission."""
